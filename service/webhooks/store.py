"""The webhook tables (endpoints, messages, deliveries, attempts, notices) behind one interface, in SQL that SQLite
and PostgreSQL both run; store_sqlite.py and store_postgres.py add the tables, the claim, the locks, the wake-up.

The store is also the outbox projection's view (a TrackingRecorder): `enqueue` writes a message, one delivery per
matching endpoint and the tracking position in one transaction, so an event is handed over exactly once.
"""

from __future__ import annotations

from service.webhooks.store_log import DeliveryLog


class WebhookStore(DeliveryLog):
    """Endpoints (store_endpoints.py), the delivery queue (store_queue.py) and the delivery log (store_log.py)."""
