"""Corrections: which facts of an earlier event may be corrected, and how corrected values are checked."""

from __future__ import annotations

from dataclasses import fields as dataclass_fields
from dataclasses import replace
from datetime import datetime
from enum import Enum
from typing import Any

from domain.errors import InvalidValue
from domain.values import ConditionKind, Speaker, Stance, require_aware

# What a correction may change, by the kind of thing the corrected event created.
CORRECTABLE_FIELDS: dict[str, frozenset[str]] = {
    "statement": frozenset({"quote", "paraphrase", "stance", "cameo_code", "speaker"}),
    "condition": frozenset({"text", "legal_basis", "kind", "blocking"}),
}


def replace_coerced(obj: Any, changes: dict[str, Any]) -> Any:
    """Apply corrected fields, turning their recorded plain values back into value types.

    Raises InvalidValue for a value that is not one of the field's type (an unknown stance, "false" for a flag).
    """
    types = {f.name: f.type for f in dataclass_fields(obj)}
    coerced: dict[str, Any] = {}
    for name, value in changes.items():
        declared = types[name]
        optional = declared.endswith(" | None")
        kind = _CORRECTABLE_TYPES[declared.removesuffix(" | None")]
        field = f"corrected_fields.{name}"
        try:
            if issubclass(kind, Enum) and isinstance(value, str):
                value = kind(value)
            elif kind is Speaker and isinstance(value, dict):
                value = Speaker(**value)
        except (ValueError, TypeError):
            raise InvalidValue(field, f"is not a valid {name}") from None
        if value is None and optional:
            pass
        elif not isinstance(value, kind):
            raise InvalidValue(field, f"must be {_TYPE_WORDS.get(kind, 'a ' + kind.__name__)}")
        elif isinstance(value, str) and not value.strip():
            raise InvalidValue(field, "must not be empty")
        coerced[name] = value
    return replace(obj, **coerced)


_CORRECTABLE_TYPES: dict[str, type] = {
    "str": str,
    "bool": bool,
    "Speaker": Speaker,
    "Stance": Stance,
    "ConditionKind": ConditionKind,
}

_TYPE_WORDS: dict[type, str] = {str: "text", bool: "true or false"}


def require_time(value: Any) -> None:
    """A corrected occurred_at is a time with its offset (or its ISO 8601 text, as a client posts it)."""
    field = "corrected_fields.occurred_at"
    if isinstance(value, str):
        try:
            value = datetime.fromisoformat(value)
        except ValueError:
            raise InvalidValue(field, "must be an ISO 8601 time") from None
    if not isinstance(value, datetime):
        raise InvalidValue(field, "must be a time")
    require_aware(value, field)
