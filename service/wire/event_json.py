"""An event as the API shows it (schemas.EventOut), serialised straight to JSON bytes.

The global feed serves millions of events. Each event's JSON is built once, when it is stored (in the same
transaction, see storage/event_index.py), so a catch-up only copies bytes. The bodies are the same as the history's
(documents.event_out through pydantic): orjson writes value objects field by field, enums by value, tuples as lists
and times as isoformat() does (the domain only admits offsets of whole minutes, which is all orjson writes), as
documents.jsonable does; the envelope's times in UTC end in Z, as pydantic writes them.
"""

from __future__ import annotations

import base64
import typing
import zlib
from decimal import Decimal
from hashlib import sha1
from typing import Any
from uuid import UUID, uuid5

import orjson

from domain import DealEvent
from service.wire import schemas
from service.wire.canonical import item_leaf_hash

ENVELOPE_FIELDS = frozenset({"originator_id", "originator_version", "timestamp", "originator_topic"})
# Bump when the way an event becomes JSON changes in a way the fingerprint below cannot see.
LAYOUT = 2  # 2: leaf_hash


def event_id(deal_id: UUID, version: int) -> UUID:
    """Events are identified by their place in their deal's log: stable, and the same on every read."""
    return uuid5(deal_id, str(version))


def event_json(event: DealEvent, position: int) -> bytes:
    """The event as one item of GET /events."""
    return with_leaf_hash(with_position(event_body(event), position))


def with_leaf_hash(item: bytes) -> bytes:
    """The item with its leaf hash in the tamper-evident log (service/wire/canonical.py) as its last field: the
    same bytes an inclusion proof of its position gives."""
    return b'%s,"leaf_hash":"%s"}' % (item[:-1], base64.b64encode(item_leaf_hash(item)))


def event_leaf_hash(event: DealEvent, position: int) -> str:
    """The base64 leaf hash of the event's feed item at a position (what with_leaf_hash adds to it)."""
    return base64.b64encode(item_leaf_hash(with_position(event_body(event), position))).decode()


def event_body(event: DealEvent) -> bytes:
    """The event's JSON without its position (which is only known once the event is inserted)."""
    envelope = orjson.dumps(
        {
            "event_id": _event_id_text(event.originator_id, event.originator_version),
            "deal_id": event.originator_id,
            "version": event.originator_version,
            "type": event.type_name,
            "occurred_at": event.occurred_at,
            "recorded_at": event.timestamp,
        },
        option=orjson.OPT_UTC_Z,
    )
    data = {k: v for k, v in vars(event).items() if k not in ENVELOPE_FIELDS}
    return b'%s,"data":%s}' % (envelope[:-1], orjson.dumps(data, default=_decimal))


def with_position(body: bytes, position: int) -> bytes:
    return b'{"position":%d,%s' % (position, body[1:])


_VARIANT = "89ab"


def _event_id_text(deal_id: UUID, version: int) -> str:
    """str(event_id(deal_id, version)), without building the UUID (a third of the cost of an event's JSON)."""
    h = sha1(deal_id.bytes + b"%d" % version).hexdigest()
    return f"{h[:8]}-{h[8:12]}-5{h[13:16]}-{_VARIANT[int(h[16], 16) & 3]}{h[17:20]}-{h[20:32]}"


def _decimal(value: Any) -> str:
    if isinstance(value, Decimal):
        return str(value)
    raise TypeError(f"{type(value).__name__} is not JSON")


def _event_classes() -> list[type[DealEvent]]:
    found, todo = {}, [DealEvent]
    while todo:
        cls = todo.pop()
        for sub in cls.__subclasses__():
            found[f"{sub.__module__}:{sub.__qualname__}"] = sub
            todo.append(sub)
    return [found[topic] for topic in sorted(found)]


def _fingerprint() -> int:
    """Changes when the JSON of a stored event could change: the EventOut schema, an event class, its fields or
    its version (upcasting), or LAYOUT. Stored JSON of another fingerprint is not served (feed_items.py)."""
    parts: list[Any] = [LAYOUT, schemas.EventOut.model_json_schema()]
    for cls in _event_classes():
        hints = typing.get_type_hints(cls)
        parts.append([cls.__module__, cls.__qualname__, getattr(cls, "class_version", 1), sorted(map(str, hints))])
    return zlib.crc32(orjson.dumps(parts, option=orjson.OPT_SORT_KEYS)) & 0x7FFFFFFF


FINGERPRINT = _fingerprint()
