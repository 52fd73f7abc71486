"""Stored event state, un-wrapped into the JSON the API shows, without decoding it into domain objects.

The library's JSONTranscoder stores each registered value type as {"_type_": name, "_data_": data}. For the
transcodings this application registers (service/transcodings.py and the library's own), `data` already is the
API's JSON for the value: ISO times, enum values, value objects as objects of their fields. So from each event
class's annotations we compile a plan — which keys hold wrapped values and how to take the wrapping off — and
apply it to the parsed JSON: far cheaper than building the event and rendering it again (api/mapping.event_out).
"""

from __future__ import annotations

import dataclasses
import types
import typing
from collections.abc import Callable
from datetime import datetime
from decimal import Decimal
from enum import Enum
from typing import Any
from uuid import UUID

from eventsourcing.persistence import DatetimeAsISO, DecimalAsStr, JSONTranscoder, UUIDAsHex

from domain.values import ENUM_TYPES, VALUE_TYPES

Convert = Callable[[Any], Any]
Plan = list[tuple[str, Convert]]
# Fields of the envelope, not of the event's data (api/mapping.ENVELOPE_FIELDS).
SKIPPED = frozenset({"originator_id", "originator_version", "timestamp", "originator_topic"})


class NotPlain(Exception):
    """This stored state needs the library's mapper."""


def transcoder_is_plain(transcoder: Any) -> bool:
    """Whether every wrapped value's data is what the API shows (the registrations this module assumes)."""
    if type(transcoder) is not JSONTranscoder:
        return False
    registered = transcoder.types
    return (
        isinstance(registered.get(datetime), DatetimeAsISO)
        and isinstance(registered.get(Decimal), DecimalAsStr)
        and isinstance(registered.get(UUID), UUIDAsHex)
        and all(t in registered and registered[t].name.startswith("enum:") for t in ENUM_TYPES)
        and all(t in registered and registered[t].name.startswith("value:") for t in VALUE_TYPES)
    )


def plan_for(cls: type) -> Plan:
    """(key, conversion) for each field of the class that holds wrapped values; plain fields need nothing."""
    plan = []
    for name, hint in typing.get_type_hints(cls).items():
        if name in SKIPPED or typing.get_origin(hint) is typing.ClassVar:
            continue
        convert = _converter(hint)
        if convert is not None:
            plan.append((name, convert))
    return plan


def apply(plan: Plan, state: dict[str, Any]) -> None:
    for key, convert in plan:
        value = state.get(key)
        if value is not None:
            state[key] = convert(value)


def _converter(hint: Any) -> Convert | None:
    origin, args = typing.get_origin(hint), typing.get_args(hint)
    if origin in (typing.Union, types.UnionType):
        present = [a for a in args if a is not type(None)]
        return _converter(present[0]) if len(present) == 1 else plain
    if hint in (str, int, bool, float):
        return None
    if hint in (datetime, Decimal) or (isinstance(hint, type) and issubclass(hint, Enum)):
        return _data
    if hint is UUID:
        return _uuid
    if isinstance(hint, type) and dataclasses.is_dataclass(hint):
        return _value(plan_for(hint))
    if origin is tuple and len(args) == 2 and args[1] is Ellipsis:
        inner = _converter(args[0])
        return None if inner is None else _each(inner)
    return plain


def _data(wrapped: Any) -> Any:
    return wrapped["_data_"]


def _uuid(wrapped: Any) -> str:
    return str(UUID(hex=wrapped["_data_"]))


def _value(plan: Plan) -> Convert:
    def convert(wrapped: Any) -> Any:
        data = wrapped["_data_"]
        apply(plan, data)
        return data

    return convert


def _each(convert: Convert) -> Convert:
    return lambda values: [convert(v) for v in values]


def plain(value: Any) -> Any:
    """Any JSON, un-wrapped wherever it holds a wrapped value (for fields typed Any)."""
    if type(value) is list:
        return [plain(v) for v in value]
    if type(value) is not dict:
        return value
    if len(value) == 2 and "_type_" in value and "_data_" in value:
        name, data = value["_type_"], value["_data_"]
        if name == "uuid_hex":
            return str(UUID(hex=data))
        if name in ("datetime_iso", "decimal_str") or name.startswith(("enum:", "value:")):
            return plain(data)
        raise NotPlain(name)
    return {k: plain(v) for k, v in value.items()}
