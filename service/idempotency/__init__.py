"""Idempotent POSTs: a retry with the same Idempotency-Key gets the first answer, and nothing is stored twice."""
