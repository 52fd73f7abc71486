"""An event of the stored log as its leaf: decoded from the events table (never the feed table or a cache), as
the feed item GET /events serves, canonicalised and hashed (service/wire/canonical.py)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any
from uuid import UUID

from eventsourcing.persistence import StoredEvent

from domain import DealEvent
from service.wire.canonical import canonical, item_leaf_hash, leaf_hash
from service.wire.event_json import event_body, with_position

if TYPE_CHECKING:
    from service.application import DealsApplication


UNREADABLE = b"unreadable"  # in place of a leaf hash: no leaf can equal it


def event_leaf_hash(app: DealsApplication, stored: StoredEvent, position: int, strict: bool = True) -> bytes:
    """Decryption and decompression as configured: the plaintext is hashed. An event that no longer decodes
    (its ciphertext edited, say) raises, or with strict=False (verifying) hashes as UNREADABLE."""
    try:
        event: Any = app.mapper.to_domain_event(stored)
    except Exception:
        if strict:
            raise
        return UNREADABLE
    if isinstance(event, DealEvent):
        return item_leaf_hash(with_position(event_body(event), position))
    # Not a deal's event (none are stored today): its place and type still go in the log.
    return leaf_hash(canonical({"position": position, "topic": stored.topic}))


def log_page(app: DealsApplication, after: int | None, limit: int, strict: bool = True
             ) -> list[tuple[int, UUID, int, bytes]]:
    """(position, deal_id, version, leaf_hash) of the stored events after a position (None: every row, even one
    written at a position no insert would give), in commit order."""
    rows = app.recorder.select_notifications(start=after, limit=limit, inclusive_of_start=after is None)
    return [(n.id, n.originator_id, n.originator_version, event_leaf_hash(app, n, n.id, strict))  # type: ignore[misc]  # each notification's id is its position
            for n in rows]
