"""A bounded, concurrent HTTP/1.1 load driver for loopback, lean enough to leave the CPU to the server.

The load generator shares the machine's 2 cores with the server, so it speaks raw HTTP/1.1 on keep-alive
connections over uvloop (pre-built request bytes, minimal response parsing) instead of a full client library.
"""

from __future__ import annotations

import asyncio
import random
import time
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlparse

import orjson
import uvloop

RequestFactory = Callable[[random.Random], bytes]


def request_bytes(method: str, path: str, body: Any = None, headers: dict[str, str] | None = None) -> bytes:
    payload = b"" if body is None else orjson.dumps(body)
    lines = [f"{method} {path} HTTP/1.1", "Host: 127.0.0.1", f"Content-Length: {len(payload)}"]
    if body is not None:
        lines.append("Content-Type: application/json")
    lines += [f"{k}: {v}" for k, v in (headers or {}).items()]
    return ("\r\n".join(lines) + "\r\n\r\n").encode() + payload


@dataclass
class Result:
    clients: int
    elapsed: float
    latencies: list[float] = field(default_factory=list)  # seconds, of answered requests in the measured window
    statuses: Counter[int] = field(default_factory=Counter)
    rss_peak_mb: float = 0.0
    server_cpu_s: float = 0.0  # CPU the server used in the measured window
    bodies: list[bytes] = field(default_factory=list)  # kept only when asked for

    @property
    def ok(self) -> int:
        return sum(n for status, n in self.statuses.items() if 200 <= status < 300)

    @property
    def rate(self) -> float:
        """Successful requests per second in the measured window."""
        return self.ok / self.elapsed if self.elapsed else 0.0

    def ms(self, pct: float) -> float:
        return percentile(self.latencies, pct) * 1000

    @property
    def cpu_ms(self) -> float:
        """Server CPU per successful request: a cost that the noise of other processes hardly changes."""
        return self.server_cpu_s * 1000 / self.ok if self.ok else float("nan")

    def summary(self) -> dict[str, Any]:
        return {"clients": self.clients, "ok_per_s": round(self.rate, 1), "p50_ms": round(self.ms(50), 2),
                "p95_ms": round(self.ms(95), 2), "p99_ms": round(self.ms(99), 2), "ok": self.ok,
                "statuses": {str(k): v for k, v in sorted(self.statuses.items())},
                "seconds": round(self.elapsed, 2), "rss_peak_mb": round(self.rss_peak_mb, 1),
                "server_cpu_ms_per_ok": round(self.cpu_ms, 3)}


def percentile(values: Sequence[float], pct: float) -> float:
    if not values:
        return float("nan")
    ordered = sorted(values)
    index = min(len(ordered) - 1, max(0, round(pct / 100 * len(ordered) + 0.5) - 1))
    return ordered[index]


async def _read_response(reader: asyncio.StreamReader) -> tuple[int, bytes, bool]:
    head = await reader.readuntil(b"\r\n\r\n")
    lines = head.split(b"\r\n")
    status = int(lines[0].split(b" ", 2)[1])
    length, chunked, close = 0, False, False
    for line in lines[1:]:
        name, _, value = line.partition(b":")
        name = name.strip().lower()
        if name == b"content-length":
            length = int(value)
        elif name == b"transfer-encoding" and b"chunked" in value.lower():
            chunked = True
        elif name == b"connection" and b"close" in value.lower():
            close = True
    if not chunked:
        return status, await reader.readexactly(length), close
    body = b""
    while True:
        size = int((await reader.readuntil(b"\r\n")).strip().split(b";")[0], 16)
        chunk = await reader.readexactly(size + 2)
        if size == 0:
            return status, body, close
        body += chunk[:-2]


async def _drive(url: str, clients: int, make: RequestFactory, seconds: float, warmup: float, max_requests: int,
                 server: Any, keep_bodies: bool, seed: int) -> Result:
    parsed = urlparse(url)
    host, port = parsed.hostname or "127.0.0.1", parsed.port or 80
    start = time.perf_counter()
    measure_from, stop_at = start + warmup, start + warmup + seconds
    result = Result(clients, 0.0)
    sent = 0
    last_end = measure_from

    async def client(number: int) -> None:
        nonlocal sent, last_end
        rng = random.Random(seed * 1000 + number)
        reader, writer = await asyncio.open_connection(host, port)
        try:
            while sent < max_requests and time.perf_counter() < stop_at:
                sent += 1
                request = make(rng)
                began = time.perf_counter()
                writer.write(request)
                status, body, close = await _read_response(reader)
                ended = time.perf_counter()
                if began >= measure_from:
                    result.latencies.append(ended - began)
                    result.statuses[status] += 1
                    last_end = max(last_end, ended)
                    if keep_bodies:
                        result.bodies.append(body)
                if close:
                    writer.close()
                    reader, writer = await asyncio.open_connection(host, port)
        finally:
            writer.close()

    async def sample() -> None:
        if server is None:
            return
        await asyncio.sleep(max(0.0, measure_from - time.perf_counter()))
        cpu_from = server.cpu_seconds()
        try:
            while True:
                result.rss_peak_mb = max(result.rss_peak_mb, server.rss_mb())
                result.server_cpu_s = server.cpu_seconds() - cpu_from
                await asyncio.sleep(0.25)
        finally:
            result.server_cpu_s = server.cpu_seconds() - cpu_from

    sampler = asyncio.ensure_future(sample())
    try:
        await asyncio.gather(*(client(i) for i in range(clients)))
    finally:
        sampler.cancel()
        await asyncio.gather(sampler, return_exceptions=True)
    result.elapsed = max(0.0, last_end - measure_from)
    return result


def drive(url: str, clients: int, make: RequestFactory, seconds: float, warmup: float = 0.5,
          max_requests: int = 1_000_000, server: Any = None, keep_bodies: bool = False, seed: int = 1) -> Result:
    """Run `clients` keep-alive connections, each sending `make(rng)` requests back to back, for `warmup` +
    `seconds` (or until `max_requests` were sent); only requests begun after the warm-up are measured. With a
    `server` (bench.server.Server), its peak RSS and the CPU it used in the measured window are recorded."""
    return uvloop.run(_drive(url, clients, make, seconds, warmup, max_requests, server, keep_bodies, seed))
