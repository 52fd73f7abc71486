"""Control characters are refused in every string a request carries: the body's JSON strings and keys, the query's
parameters, the path and the headers.

Such a character is never meaningful in a deal's record, and some stores cannot hold it at all: PostgreSQL text
refuses NUL, so one accepted NUL would stop every view that copies the string. Tab, line feed and carriage return
are text (a statement may have paragraphs) and are allowed in the body's strings; nowhere else.
"""

from __future__ import annotations

import re
from typing import Any
from urllib.parse import parse_qsl

import orjson

# In a JSON document a control character can only appear escaped (a raw one is not JSON at all): \u0000-\u001f,
# \b or \f. This finds candidates cheaply; a match inside an escaped backslash ("\\u0000") is a false alarm that
# the parse below clears.
_ESCAPED = re.compile(rb"\\(?:u00[01][0-9a-fA-F]|[bf])")
_IN_BODY_TEXT = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f]")
_ANYWHERE = re.compile(r"[\x00-\x1f]")
_IN_HEADER = re.compile(rb"[\x00-\x08\x0a-\x1f]")  # a header value may hold a tab (RFC 9110 §5.5)


class ControlCharacter(ValueError):
    def __init__(self, field: str, char: str) -> None:
        self.field = field
        self.reason = f"must not contain control characters (found U+{ord(char):04X})"
        super().__init__(f"{field}: {self.reason}")


def check_body(body: bytes) -> None:
    """Raise ControlCharacter naming the first JSON string (value or key) that holds one; a body that is not JSON
    is left for the request's own parsing to refuse."""
    if not _ESCAPED.search(body):
        return
    try:
        document = orjson.loads(body)
    except orjson.JSONDecodeError:
        return
    _walk(document, [])


def _walk(value: Any, path: list[str]) -> None:
    if isinstance(value, str):
        _check(value, _IN_BODY_TEXT, ".".join(path) or "body")
    elif isinstance(value, dict):
        for key, item in value.items():
            _check(key, _ANYWHERE, ".".join([*path, key]))
            _walk(item, [*path, key])
    elif isinstance(value, list):
        for index, item in enumerate(value):
            _walk(item, [*path, str(index)])


def _check(text: str, pattern: re.Pattern[str], field: str) -> None:
    found = pattern.search(text)
    if found:
        raise ControlCharacter(field, found.group())


def check_query(query_string: bytes) -> None:
    """Parameters are checked as the routes will see them, percent-decoded."""
    if b"%0" not in query_string and b"%1" not in query_string:
        return
    for name, value in parse_qsl(query_string.decode("latin-1"), keep_blank_values=True):
        _check(name, _ANYWHERE, name)
        _check(value, _ANYWHERE, name)


def check_path(path: str) -> None:
    _check(path, _ANYWHERE, "path")


def check_headers(headers: list[tuple[bytes, bytes]]) -> None:
    for name, value in headers:
        found = _IN_HEADER.search(value)
        if found:
            raise ControlCharacter(name.decode("latin-1"), chr(found.group()[0]))
