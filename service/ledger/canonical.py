"""A log leaf's bytes: the event as one item of GET /events, in RFC 8785 (JCS) canonical JSON, hash fields left out.

The feed's values are strings, integers (within ±2^53), booleans, null, arrays and objects (amounts are decimal
strings; the domain has no floats), and for those JCS is exactly: object keys sorted by their UTF-16 code units, no
whitespace, strings as UTF-8 with only `"`, `\\` and the control characters escaped (`\\b \\f \\n \\r \\t`, the rest
as lowercase `\\u00xx`). Python's json module with compact separators and ensure_ascii=False writes that, in C,
once the keys are in that order. A float is refused rather than written in a form JCS might not share.
"""

from __future__ import annotations

import json
from typing import Any

from service.ledger.merkle import leaf_hash

HASH_FIELDS = frozenset({"leaf_hash"})

_encoder = json.JSONEncoder(ensure_ascii=False, allow_nan=False, separators=(",", ":"))


def _no_floats(value: float) -> Any:
    raise ValueError(f"a float ({value!r}) in a log leaf: JCS number forms are not produced here")


def canonical(value: Any) -> bytes:
    """RFC 8785 canonical JSON of a value made of the types listed above."""
    return _encoder.encode(_ordered(value)).encode()


def _utf16(key: str) -> bytes:
    return key.encode("utf-16-be", "surrogatepass")


def _ordered(value: Any) -> Any:
    """Objects rebuilt with their keys in JCS order (code points order them alike except past U+FFFF)."""
    if isinstance(value, dict):
        return {k: _ordered(value[k]) for k in sorted(value, key=_utf16)}
    if isinstance(value, list):
        return [_ordered(v) for v in value]
    if isinstance(value, float):
        _no_floats(value)
    return value


def item_leaf_bytes(item_json: bytes) -> bytes:
    """The leaf bytes of one feed item as served (JSON bytes)."""
    item = json.loads(item_json, parse_float=_no_floats)
    for field in HASH_FIELDS:
        item.pop(field, None)
    return canonical(item)


def item_leaf_hash(item_json: bytes) -> bytes:
    return leaf_hash(item_leaf_bytes(item_json))
