"""Storage: the application recorders (events, timeline index, feed JSON, idempotency keys) and value codecs."""
