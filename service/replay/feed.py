"""Every event of every deal in commit order, in the shape of schemas.EventOut, read fast enough to catch up on
millions of events.

Each event's JSON was stored when the event was (wire/event_json.py), so a page is mostly a join of stored bytes.
An event without it — encrypted at rest, recorded before the feed table existed, or stored under another
fingerprint (the event classes or the API's schema have changed since) — is decoded through the library's mapper;
`deals feed backfill` stores the JSON of those.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING
from uuid import UUID

from eventsourcing.persistence import StoredEvent

from service.replay.timetravel import event_index_recorder
from service.storage.event_index import FeedRow
from service.wire.event_json import FINGERPRINT, event_json

if TYPE_CHECKING:
    from service.application import DealsApplication


@dataclass(frozen=True)
class FeedPage:
    items: list[bytes]  # each event's JSON
    positions: list[int]
    next_after: int  # the position to pass as `after` next time (the given one when nothing was new)
    has_more: bool


@dataclass(frozen=True)
class Rendered:
    """A page already serialised: the JSON of schemas.FeedPage, or Server-Sent Events messages."""

    body: bytes
    next_after: int
    has_more: bool
    count: int


class FeedReader:
    def __init__(self, app: DealsApplication) -> None:
        self.app = app
        self.recorder = event_index_recorder(app)

    def page(
        self, after: int, limit: int, topics: Sequence[str] = (), deal_id: UUID | None = None
    ) -> FeedPage:
        # A filtered page may skip many events: once it comes back short, the reader can move past everything
        # committed before the query. Positions commit in order (one writer at a time on SQLite; the events
        # table's EXCLUSIVE lock on PostgreSQL), so nothing at or below the last position can still appear.
        upto = self.app.recorder.max_notification_id() if topics or deal_id is not None else None
        rows = self.recorder.select_feed(after, limit, topics, deal_id, upto)
        items = [row[1] if row[1] is not None else self.decoded(row) for row in rows]
        full = len(rows) == limit
        next_after = rows[-1][0] if rows else after
        if upto is not None and not full:
            next_after = max(next_after, upto)
        return FeedPage(items, [row[0] for row in rows], next_after, full)

    def json(self, after: int, limit: int, topics: Sequence[str] = (), deal_id: UUID | None = None) -> Rendered:
        """The page as the JSON of GET /events."""
        page = self.page(after, limit, topics, deal_id)
        body = b'{"next_after":%d,"has_more":%s,"items":[%s]}' % (
            page.next_after, b"true" if page.has_more else b"false", b",".join(page.items))
        return Rendered(body, page.next_after, page.has_more, len(page.items))

    def messages(
        self, after: int, limit: int, topics: Sequence[str] = (), deal_id: UUID | None = None
    ) -> Rendered:
        """The page as Server-Sent Events: `id:` the position, `data:` the event."""
        page = self.page(after, limit, topics, deal_id)
        body = b"".join(b"id: %d\ndata: %s\n\n" % pair for pair in zip(page.positions, page.items, strict=True))
        return Rendered(body, page.next_after, page.has_more, len(page.items))

    def decoded(self, row: FeedRow) -> bytes:
        position, _, deal_id, version, topic, state = row
        stored = StoredEvent(UUID(deal_id), version, topic, state)
        return event_json(self.app.domain_event(stored), position)


def backfill(app: DealsApplication, progress: Callable[[int, int], None] = lambda position, stored: None,
             page: int = 5000) -> int:
    """Store the JSON of every event that lacks it or has it under another fingerprint; returns how many.
    Refused with a cipher: the JSON would be plain text beside encrypted events."""
    if app.mapper.cipher is not None:
        raise ValueError("events are encrypted at rest (DEALS_CIPHER_KEY): their feed JSON is not stored")
    reader = FeedReader(app)
    after, stored = 0, 0
    while True:
        rows = reader.recorder.select_feed(after, page)
        missing = [(row[0], FINGERPRINT, reader.decoded(row)) for row in rows if row[1] is None]
        if missing:
            reader.recorder.replace_feed_json(missing)
            stored += len(missing)
        if rows:
            after = rows[-1][0]
        progress(after, stored)
        if len(rows) < page:
            return stored
