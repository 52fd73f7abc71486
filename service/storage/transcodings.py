"""How the deal's value types are stored: one Transcoding per enum and per value class."""

from __future__ import annotations

from dataclasses import fields
from enum import Enum
from typing import Any

from eventsourcing.persistence import JSONTranscoder, Transcoding

from domain.values import ENUM_TYPES, VALUE_TYPES


def _enum_transcoding(enum_type: type[Enum]) -> Transcoding:
    class EnumAsValue(Transcoding):
        type = enum_type
        name = f"enum:{enum_type.__name__}"

        def encode(self, obj: Enum) -> str:
            return obj.value

        def decode(self, data: str) -> Enum:
            return enum_type(data)

    return EnumAsValue()


def _value_transcoding(value_type: type) -> Transcoding:
    names = [f.name for f in fields(value_type)]

    class ValueAsDict(Transcoding):
        type = value_type
        name = f"value:{value_type.__name__}"

        def encode(self, obj: Any) -> dict[str, Any]:
            return {n: getattr(obj, n) for n in names}

        def decode(self, data: dict[str, Any]) -> Any:
            # JSON has no tuples; value objects keep their sequences as tuples.
            return value_type(**{k: tuple(v) if isinstance(v, list) else v for k, v in data.items()})

    return ValueAsDict()


def register_domain_transcodings(transcoder: JSONTranscoder) -> None:
    for enum_type in ENUM_TYPES:
        transcoder.register(_enum_transcoding(enum_type))
    for value_type in VALUE_TYPES:
        transcoder.register(_value_transcoding(value_type))
