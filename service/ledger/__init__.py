"""The tamper-evident log: a Merkle tree over every event, signed checkpoints, proofs and verification."""
