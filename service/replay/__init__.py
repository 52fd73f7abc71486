"""Replaying history: time travel (as_of, known_at, version), diffs, the global feed and its live stream."""
