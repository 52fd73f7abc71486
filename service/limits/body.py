"""The request body is read here, counting bytes as they arrive, before any route sees it: a body past the limit is
refused with 413 whether or not it declared its length (chunked bodies have none, and a declared length is not
trusted). The accepted body is then handed on unchanged."""

from __future__ import annotations

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from service.api.errors import problem

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
        length = _header(scope, b"content-length")
        if length is None and _header(scope, b"transfer-encoding") is None:
            await self.app(scope, receive, send)
            return
        if length is not None and length.strip().isdigit() and int(length) > self.limit:
            await self._too_large(scope, receive, send)
            return
        body = bytearray()
        while True:
            message = await receive()
            if message["type"] == "http.disconnect":
                return
            body += message.get("body", b"")
            if len(body) > self.limit:
                await self._too_large(scope, receive, send)
                return
            if not message.get("more_body", False):
                break
        await self.app(scope, _replay(bytes(body), receive), send)

    async def _too_large(self, scope: Scope, receive: Receive, send: Send) -> None:
        response = problem(413, "body_too_large", f"the request body may have at most {self.limit} bytes",
                           field="body", max_bytes=self.limit)
        await response(scope, receive, send)


def _replay(body: bytes, receive: Receive) -> Receive:
    """The buffered body as one message; later calls (a disconnect, say) go to the server as usual."""
    sent = False

    async def replay() -> Message:
        nonlocal sent
        if not sent:
            sent = True
            return {"type": "http.request", "body": body, "more_body": False}
        return await receive()

    return replay
