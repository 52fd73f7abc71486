"""What goes on the wire, below every layer that sends it: the public JSON of events and deals, the schema types they
are declared with, and the canonical bytes the tamper-evident log hashes."""
