"""Every event of every deal in commit order, in the shape of schemas.EventOut, read fast enough to catch up on
millions of events.

Raw rows are read in big pages and their JSON un-wrapped (api/unwrap.py) instead of decoded into domain events
(~20 µs each). Anything else — a cipher or compressor, another transcoder, an event class with upcasters, state
that does not match its class — goes through the library's mapper and api/mapping.event_out, as the history does.
"""

from __future__ import annotations

import gc
import threading
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from functools import lru_cache
from hashlib import sha1
from typing import TYPE_CHECKING, Any
from uuid import UUID

import orjson
from eventsourcing.persistence import StoredEvent
from eventsourcing.utils import resolve_topic

from service.api import mapping
from service.api.unwrap import NotPlain, Plan, apply, plan_for, transcoder_is_plain
from service.replay.index import FeedRow
from service.replay.timetravel import timeline_recorder

if TYPE_CHECKING:
    from service.app import DealsApplication

_VARIANT = "89ab"
_JSON = orjson.OPT_UTC_Z  # fallback items hold datetimes: UTC as Z, as pydantic writes them


@dataclass(frozen=True)
class FeedPage:
    items: list[dict[str, Any]]
    next_after: int  # the position to pass as `after` next time (the given one when nothing was new)
    has_more: bool

    def json(self) -> bytes:
        body = {"next_after": self.next_after, "has_more": self.has_more, "items": self.items}
        return orjson.dumps(body, option=_JSON)


@dataclass(frozen=True)
class Rendered:
    """A page already serialised: the JSON of a FeedPage, or Server-Sent Events messages."""

    body: bytes
    next_after: int
    has_more: bool
    count: int


@dataclass(frozen=True)
class _Kind:
    type_name: str
    plan: Plan | None  # None: decode through the mapper


class FeedReader:
    def __init__(self, app: DealsApplication) -> None:
        self.app = app
        self.recorder = timeline_recorder(app)
        mapper = app.mapper
        self.raw = mapper.cipher is None and mapper.compressor is None and transcoder_is_plain(mapper.transcoder)
        self._kinds: dict[str, _Kind] = {}

    def page(
        self, after: int, limit: int, topics: Sequence[str] = (), deal_id: UUID | None = None
    ) -> FeedPage:
        # A filtered page may skip many events: once it comes back short, the reader can move past everything
        # committed before the query. Positions commit in order (one writer at a time on SQLite; the events
        # table's EXCLUSIVE lock on PostgreSQL), so nothing at or below the last position can still appear.
        upto = self.recorder.max_notification_id() if topics or deal_id is not None else None
        rows = self.recorder.select_feed(after, limit, topics, deal_id, upto)
        items = [self.item(row) for row in rows]
        full = len(rows) == limit
        next_after = rows[-1][0] if rows else after
        if upto is not None and not full:
            next_after = max(next_after, upto)
        return FeedPage(items, next_after, full)

    def json(self, after: int, limit: int, topics: Sequence[str] = (), deal_id: UUID | None = None) -> Rendered:
        """The page as the JSON of GET /events."""
        with _collector_paused():
            page = self.page(after, limit, topics, deal_id)
            rendered = Rendered(page.json(), page.next_after, page.has_more, len(page.items))
            del page  # freed before the collector resumes
        return rendered

    def messages(
        self, after: int, limit: int, topics: Sequence[str] = (), deal_id: UUID | None = None
    ) -> Rendered:
        """The page as Server-Sent Events: `id:` the position, `data:` the event."""
        with _collector_paused():
            page = self.page(after, limit, topics, deal_id)
            body = b"".join(b"id: %d\ndata: %s\n\n" % (e["position"], orjson.dumps(e, option=_JSON))
                            for e in page.items)
            rendered = Rendered(body, page.next_after, page.has_more, len(page.items))
            del page
        return rendered

    def item(self, row: FeedRow) -> dict[str, Any]:
        kind = self._kind(row[3])
        if kind.plan is not None:
            try:
                return _unwrapped(row, kind)
            except (NotPlain, KeyError, TypeError, IndexError, AttributeError, orjson.JSONDecodeError):
                pass
        position, deal_id, version, topic, state = row
        stored = StoredEvent(UUID(deal_id), version, topic, state)
        return mapping.event_out(self.app.mapper.to_domain_event(stored), position)  # type: ignore[arg-type]

    def _kind(self, topic: str) -> _Kind:
        kind = self._kinds.get(topic)
        if kind is None:
            cls = resolve_topic(topic)
            raw = self.raw and getattr(cls, "class_version", 1) == 1
            kind = self._kinds[topic] = _Kind(cls.type_name, plan_for(cls) if raw else None)
        return kind


def _unwrapped(row: FeedRow, kind: _Kind) -> dict[str, Any]:
    position, deal_id, version, _, stored = row
    state = orjson.loads(stored)
    if "class_version" in state:
        raise NotPlain("class_version")
    recorded_at = state.pop("timestamp")["_data_"]
    state.pop("originator_topic", None)
    apply(kind.plan, state)  # type: ignore[arg-type]
    occurred_at = state["occurred_at"]
    h = sha1(_uuid_bytes(deal_id) + b"%d" % version).hexdigest()
    return {
        # uuid5(deal_id, str(version)) as api/mapping.event_id makes it, without UUID objects (hot loop)
        "event_id": f"{h[:8]}-{h[8:12]}-5{h[13:16]}-{_VARIANT[int(h[16], 16) & 3]}{h[17:20]}-{h[20:32]}",
        "deal_id": deal_id,
        "version": version,
        "position": position,
        "type": kind.type_name,
        # as pydantic writes an envelope time: UTC as Z
        "occurred_at": occurred_at[:-6] + "Z" if occurred_at.endswith("+00:00") else occurred_at,
        "recorded_at": recorded_at[:-6] + "Z" if recorded_at.endswith("+00:00") else recorded_at,
        "data": state,
    }


@lru_cache(maxsize=4096)
def _uuid_bytes(text: str) -> bytes:
    return bytes.fromhex(text.replace("-", ""))


_paused = 0
_pause_lock = threading.Lock()
_resume_collector = False


@contextmanager
def _collector_paused() -> Iterator[None]:
    """A page builds tens of thousands of containers with no cycles among them, all freed (by reference counts)
    once it is serialised. Left running, the cyclic collector would trace them again and again: a third of the
    cost of a catch-up. So it pauses while a page is built and serialised (process-wide, so counted)."""
    global _paused, _resume_collector
    with _pause_lock:
        if _paused == 0:
            _resume_collector = gc.isenabled()
            gc.disable()
        _paused += 1
    try:
        yield
    finally:
        with _pause_lock:
            _paused -= 1
            if _paused == 0 and _resume_collector:
                gc.enable()
