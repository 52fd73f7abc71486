"""Webhooks: commit → receiver latency on an idle server, and deliveries per second to a local receiver.

The real server (uvicorn, background work on: the outbox projection and the sender) posts to a minimal asyncio
HTTP/1.1 receiver in this process on loopback, which notes when each webhook-id arrives.

- Latency: one statement at a time, with idle gaps; from sending the write to the receiver holding the webhook
  (so the write itself is included: an upper bound on commit → receiver).
- Throughput: deals and statements are recorded while two endpoints are disabled, so the outbox queues every
  delivery but nothing is sent; once the outbox has caught up both are enabled and the drain is timed.
  For scale, the same receiver is also driven by the sender's HTTP client alone, without database or signing
  (the `library` column).

    .venv/bin/python -m bench.webhooks [--backend sqlite|postgres] [--full]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import random
import threading
import time
from typing import Any

import httpx

from bench.common import figure, seed_deals, statement_requests
from bench.load import drive, percentile
from bench.server import fresh_database, running_server
from service.settings import Settings
from service.webhooks import http1
from service.webhooks.component import close_store, open_store

STATEMENT = {"type": "statement_recorded", "speaker": {"name": "Bench", "party_id": "US"}, "quote": "We are close."}
RESPONSE = b"HTTP/1.1 200 OK\r\ncontent-length: 2\r\ncontent-type: text/plain\r\n\r\nok"


class Receiver:
    """Answers 200 to every POST (keep-alive) and notes when each webhook-id first arrived at each path."""

    def __init__(self) -> None:
        self.arrived: dict[str, float] = {}
        self.requests = 0
        self.expected = 0
        self.done = threading.Event()
        self.arrival = threading.Condition()
        self.port = 0
        self._loop = asyncio.new_event_loop()
        self._ready = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/hook"

    def expect(self, count: int) -> None:
        self.arrived.clear()
        self.requests = 0
        self.expected = count
        self.done.clear()

    def wait_for(self, webhook_id: str, timeout: float, path: str = "/hook") -> float:
        key = f"{path} {webhook_id}"
        with self.arrival:
            if not self.arrival.wait_for(lambda: key in self.arrived, timeout):
                raise RuntimeError(f"event {webhook_id} was not delivered within {timeout} s")
            return self.arrived[key]

    def __enter__(self) -> Receiver:
        self._thread.start()
        self._ready.wait(10)
        return self

    def __exit__(self, *_: object) -> None:
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(10)

    def _run(self) -> None:
        asyncio.set_event_loop(self._loop)
        server = self._loop.run_until_complete(asyncio.start_server(self._serve, "127.0.0.1", 0, backlog=1024))
        self.port = server.sockets[0].getsockname()[1]
        self._ready.set()
        self._loop.run_forever()

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            while True:
                head = await reader.readuntil(b"\r\n\r\n")
                lines = head.decode("latin-1").split("\r\n")
                headers = dict(line.lower().split(":", 1) for line in lines[1:] if ":" in line)
                await reader.readexactly(int(headers.get("content-length", "0")))
                path = lines[0].split(" ")[1]
                key = f"{path} {headers.get('webhook-id', '').strip()}"
                with self.arrival:
                    self.arrived.setdefault(key, time.perf_counter())
                    self.arrival.notify_all()
                self.requests += 1
                writer.write(RESPONSE)
                if self.expected and len(self.arrived) >= self.expected:
                    self.done.set()
        except (asyncio.IncompleteReadError, ConnectionError):
            pass
        finally:
            writer.close()


def measure_latency(client: httpx.Client, receiver: Receiver, deal_ids: list[str], count: int) -> list[float]:
    rng = random.Random(7)
    latencies = []
    for n in range(count):
        began = time.perf_counter()
        response = client.post(f"/deals/{deal_ids[n % len(deal_ids)]}/events", json=STATEMENT)
        response.raise_for_status()
        latencies.append(receiver.wait_for(response.json()["events"][0]["event_id"], 10) - began)
        time.sleep(0.05 + rng.random() * 0.05)  # idle between events
    return latencies


def wait_for_outbox(database_url: str, head: int, timeout: float = 300) -> None:
    store = open_store(Settings(database_url=database_url))
    try:
        deadline = time.monotonic() + timeout
        while (store.max_tracking_id("Deals") or 0) < head:
            if time.monotonic() > deadline:
                raise RuntimeError("the outbox did not catch up")
            time.sleep(0.1)
    finally:
        close_store(store)


def bare_posts(receiver: Receiver, count: int, concurrency: int = 64) -> float:
    """POSTs/s that the sender's HTTP client alone (no database, no signing) gets from the same receiver."""
    body = json.dumps({"type": "deal.statement_recorded", "data": {"x": "y" * 600}}).encode()

    async def post_all() -> float:
        pending = list(range(count))
        client = http1.Client()

        async def work() -> None:
            while pending:
                n = pending.pop()
                await client.post("127.0.0.1", receiver.port, None, "/bare",
                                  {"host": f"127.0.0.1:{receiver.port}", "webhook-id": f"bare-{n}"}, body, 4096)

        began = time.perf_counter()
        await asyncio.gather(*(work() for _ in range(concurrency)))
        elapsed = time.perf_counter() - began
        await client.aclose()
        return count / elapsed

    receiver.expect(count)
    return asyncio.run(post_all())


def run(backend: str, database_url: str, quick: bool) -> dict[str, Any]:
    deals, statements, latency_events = (100, 8, 60) if quick else (400, 12, 300)
    env = {"run_background": "true", "webhook_allow_loopback": "true"}
    figures = []
    with Receiver() as receiver, running_server(database_url, **env) as server, \
            httpx.Client(base_url=server.url, timeout=30) as client:
        endpoint = client.post("/webhooks", json={"url": receiver.url}).json()
        deal_ids = seed_deals(server.url, 10)
        time.sleep(1)  # let the openings' deliveries go out: the measurement starts idle
        latencies = measure_latency(client, receiver, deal_ids, latency_events)
        client.delete(f"/webhooks/{endpoint['id']}")
        p95 = percentile(latencies, 95) * 1000
        figures.append(figure("webhook commit → receiver p95 (idle)", p95, "ms", target="≤ 100 ms", met=p95 <= 100,
                              note=f"p50 {percentile(latencies, 50) * 1000:.1f} ms, "
                                                      f"max {max(latencies) * 1000:.1f} ms, {len(latencies)} events"))

        endpoints = [client.post("/webhooks", json={"url": f"{receiver.url}/{n}"}).json()["id"] for n in range(2)]
        for endpoint_id in endpoints:
            client.post(f"/webhooks/{endpoint_id}/disable")
        writing = time.perf_counter()
        deal_ids = seed_deals(server.url, deals)
        drive(server.url, 16, statement_requests(deal_ids), seconds=600, warmup=0, max_requests=deals * statements)
        head = int(client.post(f"/deals/{deal_ids[0]}/events", json=STATEMENT).headers["deals-position"])
        written = time.perf_counter()
        wait_for_outbox(database_url, head)
        handed_over = time.perf_counter()
        events = deals * (3 + statements) + 1
        expected = events * len(endpoints)
        receiver.expect(expected)
        began = time.perf_counter()
        for endpoint_id in endpoints:
            client.post(f"/webhooks/{endpoint_id}/enable")
        if not receiver.done.wait(600):
            raise RuntimeError(f"only {len(receiver.arrived)} of {expected} deliveries arrived")
        drained = time.perf_counter() - began
        ceiling = bare_posts(receiver, min(expected, 5000))
        figures.append(figure(f"webhook outbox hand-off ({backend}, while the API writes)",
                              events / (handed_over - writing), "events/s",
                              note=f"{events} events written at {events / (written - writing):.0f}/s; the outbox had "
                                   f"handed all over {(handed_over - written) * 1000:.0f} ms after the last write"))
        rate = expected / drained
        figures.append(figure(f"webhook deliveries/s ({backend}, local receiver)", rate, "deliveries/s",
                              library=ceiling, target="≥ 1,000/s on PostgreSQL",
                              met=rate >= 1000 if backend == "postgres" else None,
                              note=f"{expected} deliveries ({deals} deals × 2 endpoints, in order per deal) in "
                                   f"{drained:.1f} s; library = the same HTTP client alone, POSTs/s"))
    return {"figures": figures}


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.webhooks", description=__doc__)
    parser.add_argument("--backend", choices=["sqlite", "postgres"], default="postgres")
    parser.add_argument("--full", action="store_true")
    args = parser.parse_args()
    with fresh_database(args.backend) as url:
        for row in run(args.backend, url, quick=not args.full)["figures"]:
            print(f"{row['name']}: {row['value']} {row['unit']}  ({row.get('note', '')}; library {row.get('library')})")


if __name__ == "__main__":
    main()
