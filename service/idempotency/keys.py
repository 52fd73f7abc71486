"""Where the records of idempotency keys are kept and read: the application recorder's keys table
(service/storage/key_store.py), never the events table, so the feed and its followers see deal events only.

A write's claim is saved by the writer with the write's events (service/write/writer.py); the answer, and a claim
made by a route that wrote no deal, are kept here afterwards.
"""

from __future__ import annotations

from typing import Any, Protocol
from uuid import UUID

from eventsourcing.persistence import Mapper

from service.idempotency.record import IdempotencyKey


class KeyKeeping(Protocol):
    """The application, as far as keys go."""

    @property
    def mapper(self) -> Mapper[UUID]: ...

    @property
    def recorder(self) -> Any: ...  # with storage/key_store.KeyStore mixed in


def load_key(app: KeyKeeping, key_id: UUID) -> IdempotencyKey | None:
    """The key's record as stored, or None if it was never claimed (or was purged)."""
    record: Any = None
    for stored in app.recorder.select_key_events(key_id):
        event: Any = app.mapper.to_domain_event(stored)  # an IdempotencyKey event: the library types its protocol
        record = event.mutate(record)
    return record


def keep_key(app: KeyKeeping, record: IdempotencyKey) -> None:
    """Store the record's new events, alone; IntegrityError when another request kept that version first."""
    app.recorder.insert_keys([app.mapper.to_stored_event(event) for event in record.collect_events()])
