"""The request body is read here, counting bytes as they arrive, before any route sees it: a body past the limit is
refused with 413 whether or not it declared its length (chunked bodies have none, and a declared length is not
trusted). Control characters in the body, query, path or headers are refused with 422 (service/http/text_limits.py).
The accepted body is then handed on unchanged."""

from __future__ import annotations

from starlette.requests import ClientDisconnect
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from service.http.problem import problem
from service.http.text_limits import ControlCharacter, check_body, check_headers, check_path, check_query

MAX_QUERY_BYTES = 4096
MAX_PATH_BYTES = 2048


def _header(scope: Scope, name: bytes) -> str | None:
    for key, value in scope.get("headers", ()):
        if key == name:
            return value.decode("latin-1")
    return None


class BodyLimitMiddleware:
    def __init__(self, app: ASGIApp, max_body_bytes: int) -> None:
        self.app = app
        self.limit = max_body_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        if len(scope.get("query_string", b"")) > MAX_QUERY_BYTES or len(scope.get("raw_path") or b"") > MAX_PATH_BYTES:
            response = problem(414, "uri_too_long", f"the path may have at most {MAX_PATH_BYTES} bytes and the query "
                               f"{MAX_QUERY_BYTES}", field="url")
            await response(scope, receive, send)
            return
        try:
            check_path(scope.get("path", ""))
            check_query(scope.get("query_string", b""))
            check_headers(scope.get("headers", []))
        except ControlCharacter as refused:
            await _refuse(refused, scope, receive, send)
            return
        length = _header(scope, b"content-length")
        if length is None and _header(scope, b"transfer-encoding") is None:
            await self.app(scope, receive, send)
            return
        if length is not None and length.strip().isdigit() and int(length) > self.limit:
            await self._too_large(scope, receive, send)
            return
        try:
            body = await read_body(receive, self.limit)
        except BodyTooLarge:
            await self._too_large(scope, receive, send)
            return
        except ClientDisconnect:
            return
        try:
            check_body(body)
        except ControlCharacter as refused:
            await _refuse(refused, scope, receive, send)
            return
        await self.app(scope, replay_body(body, receive), send)

    async def _too_large(self, scope: Scope, receive: Receive, send: Send) -> None:
        response = problem(413, "body_too_large", f"the request body may have at most {self.limit} bytes",
                           field="body", max_bytes=self.limit)
        await response(scope, receive, send)


async def _refuse(refused: ControlCharacter, scope: Scope, receive: Receive, send: Send) -> None:
    response = problem(422, "invalid_request", str(refused),
                       errors=[{"field": refused.field, "reason": refused.reason, "type": "control_character"}])
    await response(scope, receive, send)


class BodyTooLarge(Exception):
    """Raised when a request body grows past its limit while it is read."""


async def read_body(receive: Receive, limit: int | None = None) -> bytes:
    """The whole request body, counted chunk by chunk as it arrives."""
    body = bytearray()
    while True:
        message = await receive()
        if message["type"] == "http.disconnect":
            raise ClientDisconnect
        body += message.get("body", b"")
        if limit is not None and len(body) > limit:
            raise BodyTooLarge
        if not message.get("more_body", False):
            return bytes(body)


def replay_body(body: bytes, receive: Receive) -> Receive:
    """The buffered body as one message; later calls (a disconnect, say) go to the server as usual."""
    sent = False

    async def replay() -> Message:
        nonlocal sent
        if not sent:
            sent = True
            return {"type": "http.request", "body": body, "more_body": False}
        return await receive()

    return replay
