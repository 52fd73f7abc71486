"""Every event of every deal in commit order, in the shape of schemas.EventOut, read fast enough to catch up on
millions of events.

Decoding each stored event into a domain object and back costs ~20 µs. The stored state is JSON in which every
value type is wrapped as {"_type_": ..., "_data_": ...}; for the types the application registers, the wrapped
data already is what the API shows (ISO times, enum values, value objects as objects), so un-wrapping the JSON
gives the same body as api/mapping.event_out. Anything else — a cipher or compressor, another transcoder, an
upcast event class, an unknown wrapped type — goes through the library's mapper instead.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from hashlib import sha1
from typing import TYPE_CHECKING, Any
from uuid import UUID

import orjson
from eventsourcing.persistence import JSONTranscoder, StoredEvent
from eventsourcing.utils import resolve_topic

from service.api import mapping
from service.replay.index import FeedRow
from service.replay.timetravel import timeline_recorder

if TYPE_CHECKING:
    from service.app import DealsApplication

# Wrapped types whose _data_ is exactly the API's JSON for the value (see service/transcodings.py).
_PLAIN_NAMES = frozenset({"datetime_iso", "decimal_str"})
_PLAIN_PREFIXES = ("enum:", "value:")
_VARIANT = "89ab"


class _NotPlain(Exception):
    """The stored state needs the library's mapper."""


@dataclass(frozen=True)
class FeedPage:
    items: list[dict[str, Any]]
    next_after: int  # the position to pass as `after` next time (the given one when nothing was new)
    has_more: bool

    def json(self) -> bytes:
        body = {"items": self.items, "next_after": self.next_after, "has_more": self.has_more}
        return orjson.dumps(body, option=orjson.OPT_UTC_Z)  # fallback items hold datetimes: UTC as Z, as pydantic


class FeedReader:
    def __init__(self, app: DealsApplication) -> None:
        self.app = app
        self.recorder = timeline_recorder(app)
        mapper = app.mapper
        self.raw = mapper.cipher is None and mapper.compressor is None and type(mapper.transcoder) is JSONTranscoder
        self._types: dict[str, tuple[str, bool]] = {}

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

    def item(self, row: FeedRow) -> dict[str, Any]:
        type_name, plain = self._type(row[3])
        if self.raw and plain:
            try:
                return _unwrapped(row, type_name)
            except _NotPlain:
                pass
        position, deal_id, version, topic, state = row
        stored = StoredEvent(UUID(deal_id), version, topic, state)
        return mapping.event_out(self.app.mapper.to_domain_event(stored), position)  # type: ignore[arg-type]

    def _type(self, topic: str) -> tuple[str, bool]:
        known = self._types.get(topic)
        if known is None:
            cls = resolve_topic(topic)
            known = self._types[topic] = (cls.type_name, getattr(cls, "class_version", 1) == 1)
        return known


def _unwrapped(row: FeedRow, type_name: str) -> dict[str, Any]:
    position, deal_id, version, _, stored = row
    state = orjson.loads(stored)
    if "class_version" in state:
        raise _NotPlain
    recorded_at = state.pop("timestamp")["_data_"]
    state.pop("originator_topic", None)
    for key, value in state.items():
        kind = type(value)
        if kind is dict or kind is list:
            state[key] = _plain(value)
    occurred_at = state["occurred_at"]
    h = sha1(bytes.fromhex(deal_id.replace("-", "")) + str(version).encode()).hexdigest()
    return {
        # uuid5(deal_id, str(version)) as api/mapping.event_id makes it, without UUID objects (hot loop)
        "event_id": f"{h[:8]}-{h[8:12]}-5{h[13:16]}-{_VARIANT[int(h[16], 16) & 3]}{h[17:20]}-{h[20:32]}",
        "deal_id": deal_id,
        "version": version,
        "position": position,
        "type": type_name,
        # as pydantic writes an envelope time: UTC as Z
        "occurred_at": occurred_at[:-6] + "Z" if occurred_at.endswith("+00:00") else occurred_at,
        "recorded_at": recorded_at[:-6] + "Z" if recorded_at.endswith("+00:00") else recorded_at,
        "data": state,
    }


def _plain(value: Any) -> Any:
    """A dict or list of the stored state with the wrappers taken off (lists of scalars are returned as they are)."""
    if type(value) is list:
        if not value or (type(value[0]) is not dict and type(value[0]) is not list):
            return value  # our lists are homogeneous: tuples of ids, terms, enums or value objects
        return [_plain(v) for v in value]
    if len(value) == 2 and "_type_" in value and "_data_" in value:
        name = value["_type_"]
        data = value["_data_"]
        if name in _PLAIN_NAMES or name.startswith(_PLAIN_PREFIXES):
            return _plain(data) if type(data) is dict else data
        if name == "uuid_hex":
            return str(UUID(hex=data))
        raise _NotPlain
    return {k: _plain(v) if type(v) is dict or type(v) is list else v for k, v in value.items()}
