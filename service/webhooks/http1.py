"""A small HTTP/1.1 client for webhook POSTs: it connects to a given (checked) address, with TLS verified against the
URL's host name (SNI), keeps connections alive per address and name, reads at most the first bytes of a response,
and never follows redirects. Responses are parsed by httptools (llhttp, as uvicorn uses).

Why not httpx's async client: its connection pool costs milliseconds of CPU per request once dozens of requests
are in flight, which caps delivery far below 1,000/s on two cores; this costs a fraction of that. Timeouts are the
caller's (one deadline around the whole exchange, see attempt.py).
"""

from __future__ import annotations

import asyncio
import ssl
from collections import defaultdict
from dataclasses import dataclass, field

import httptools

MAX_HEAD = 64 * 1024
IDLE_PER_ORIGIN = 32


class ProtocolError(Exception):
    """Raised when the answer is not HTTP/1.x we can read."""


@dataclass
class Answer:
    status: int = 0
    headers: dict[str, str] = field(default_factory=dict)
    body: bytearray = field(default_factory=bytearray)
    complete: bool = False
    head_done: bool = False
    keep_alive: bool = False


class _Reader:
    """httptools callbacks: collect the status, headers and the first `keep` bytes of the body."""

    def __init__(self, keep: int) -> None:
        self.keep = keep
        self.answer = Answer()
        self.parser = httptools.HttpResponseParser(self)

    def on_header(self, name: bytes, value: bytes) -> None:
        self.answer.headers[name.decode("latin-1").lower()] = value.decode("latin-1")

    def on_headers_complete(self) -> None:
        self.answer.head_done = True

    def on_body(self, body: bytes) -> None:
        room = self.keep - len(self.answer.body)
        if room > 0:
            self.answer.body += body[:room]

    def on_message_complete(self) -> None:
        # Asked here: once the message is done, the parser no longer knows.
        self.answer.keep_alive = self.parser.should_keep_alive()
        self.answer.complete = True


Origin = tuple[str, int, str | None]  # address, port, TLS server name


class Client:
    """Keep-alive connections per origin; safe to share between the tasks of one event loop."""

    def __init__(self, tls: ssl.SSLContext | None = None) -> None:
        self.tls = tls or ssl.create_default_context()
        self._idle: dict[Origin, list[tuple[asyncio.StreamReader, asyncio.StreamWriter]]] = defaultdict(list)

    async def post(self, address: str, port: int, server_name: str | None, target: str, headers: dict[str, str],
                   body: bytes, keep: int) -> Answer:
        """POST `body` to `target` (path and query) at the address; `server_name` set means TLS for that name."""
        origin = (address, port, server_name)
        head = "".join(f"{k}: {v}\r\n" for k, v in headers.items())
        request = f"POST {target} HTTP/1.1\r\n{head}content-length: {len(body)}\r\n\r\n".encode("latin-1") + body
        while self._idle[origin]:
            reader, writer = self._idle[origin].pop()
            try:
                return await self._exchange(origin, reader, writer, request, keep, reused=True)
            except _Stale:
                pass  # the server closed it while it was idle, before reading anything: try another
        reader, writer = await asyncio.open_connection(
            address, port, ssl=self.tls if server_name else None, server_hostname=server_name,
            limit=MAX_HEAD,
        )
        return await self._exchange(origin, reader, writer, request, keep, reused=False)

    async def _exchange(self, origin: Origin, reader: asyncio.StreamReader, writer: asyncio.StreamWriter,
                        request: bytes, keep: int, reused: bool) -> Answer:
        callbacks = _Reader(keep)
        parser = callbacks.parser
        reusable = False
        received = 0
        try:
            try:
                writer.write(request)
                await writer.drain()
                data = await reader.read(65536)
            except ConnectionError:
                if reused:
                    raise _Stale from None
                raise
            if not data and reused:
                raise _Stale
            while True:
                if not data:
                    if callbacks.answer.head_done:
                        break  # a body delimited by the connection's end
                    raise ProtocolError("the connection ended inside the response head")
                received += len(data)
                if not callbacks.answer.head_done and received > MAX_HEAD:
                    raise ProtocolError("the response head is larger than 64 KiB")
                try:
                    parser.feed_data(data)
                except httptools.HttpParserUpgrade:
                    raise ProtocolError("the server switched protocols") from None
                except httptools.HttpParserError as error:
                    raise ProtocolError(f"unreadable response: {error}") from None
                if callbacks.answer.complete or (callbacks.answer.head_done and len(callbacks.answer.body) >= keep):
                    break  # complete, or enough kept (the rest is not read, and the connection not reused)
                data = await reader.read(65536)
            callbacks.answer.status = parser.get_status_code()
            reusable = callbacks.answer.complete and callbacks.answer.keep_alive
            return callbacks.answer
        finally:
            if reusable and len(self._idle[origin]) < IDLE_PER_ORIGIN:
                self._idle[origin].append((reader, writer))
            else:
                writer.close()

    async def aclose(self) -> None:
        for connections in self._idle.values():
            for _, writer in connections:
                writer.close()
        self._idle.clear()


class _Stale(Exception):
    """A kept-alive connection the server had closed: nothing was answered on it."""
