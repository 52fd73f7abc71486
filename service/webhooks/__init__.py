"""Webhooks: every deal event, signed (Standard Webhooks), retried, in order per deal, replayable, to subscribers.

outbox.py hands each event over exactly once (a projection); sender.py and attempt.py deliver at least once;
store*.py hold endpoints, messages, deliveries and attempts; service.py is what the /webhooks routes call.
"""
