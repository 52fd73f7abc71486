"""A log leaf's bytes: the event as one item of GET /events, in RFC 8785 (JCS) canonical JSON, hash fields left out.

The feed's values are strings, integers (within ±2^53), booleans, null, arrays and objects (amounts are decimal
strings; the domain has no floats), and for those JCS is exactly: object keys sorted by their UTF-16 code units, no
whitespace, strings as UTF-8 with only `"`, `\\` and the control characters escaped (`\\b \\f \\n \\r \\t`, the rest
as lowercase `\\u00xx`). Python's json module with compact separators and ensure_ascii=False writes that, in C,
once the keys are in that order. A float is refused rather than written in a form JCS might not share.
"""

from __future__ import annotations

import hashlib
import json
import re
from typing import Any

import orjson

HASH_FIELDS = frozenset({"leaf_hash"})


def leaf_hash(data: bytes) -> bytes:
    """The hash of a leaf of the log's Merkle tree (RFC 9162 §2.1; the tree itself is service/ledger/merkle.py)."""
    return hashlib.sha256(b"\x00" + data).digest()

_encoder = json.JSONEncoder(ensure_ascii=False, allow_nan=False, separators=(",", ":"))


def _no_floats(value: object) -> Any:
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


# UTF-8 lead bytes of U+E000 and above: only with such characters can orjson's key order (by UTF-8 bytes, that is
# by code point) differ from JCS's (by UTF-16 code units), so only items holding one take the slower path.
_PAST_U_E000 = re.compile(rb"[\xee\xef\xf0-\xf4]")


def item_leaf_bytes(item_json: bytes) -> bytes:
    """The leaf bytes of one feed item as served (JSON bytes).

    orjson writes JCS for the feed's values (the escapes above; UTF-8; integers as they are; `sort_keys`), so most
    items are parsed and written in C. The items come from event_json.py, which writes no floats."""
    if _PAST_U_E000.search(item_json) is None:
        item = orjson.loads(item_json)
        for field in HASH_FIELDS:
            item.pop(field, None)
        return orjson.dumps(item, option=orjson.OPT_SORT_KEYS)
    item = json.loads(item_json, parse_float=_no_floats)
    for field in HASH_FIELDS:
        item.pop(field, None)
    return canonical(item)


def item_leaf_hash(item_json: bytes) -> bytes:
    return leaf_hash(item_leaf_bytes(item_json))
