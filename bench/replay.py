"""Replay: reading a long deal, time travel on it, catching up on the global feed, and live-stream latency.

- GET /deals/{id} of a 10,000-event deal against a 10-event deal (snapshots every DEALS_SNAPSHOT_INTERVAL events;
  also the worst case, 99 events past the last snapshot, and the library replaying all 10,000 without one).
- Time travel on the 10,000-event deal: ?version=N and ?as_of=T at random points, p50/p95 over HTTP.
- Global feed catch-up: paging GET /events through 10^6 events (--full; 10^5 with --quick), over HTTP with pages of
  DEALS_MAX_EVENTS_PAGE=10,000, and the feed reader in-process; against decoding each event through the mapper.
- Live stream: from sending a POST to its event arriving on GET /events/stream.

The long deal's events change its state without growing it (counter-proposals announced and negotiations reopened,
deadlines moved, a role given and taken back), so the figures are about the history's length, not the state's size.
The feed's events are copies, under new deal ids, of template deals written through the domain, stored through the
application's mapper and recorder (so the timeline index and each event's feed JSON are written too) in
transactions of 10,000 events.

    .venv/bin/python -m bench.replay [--backend sqlite|postgres] [--full]
"""

from __future__ import annotations

import argparse
import os
import queue
import random
import statistics
import threading
import time
import uuid
from collections.abc import Callable
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import orjson

from bench.load import percentile
from bench.server import fresh_database, running_server
from domain import Deal
from domain.values import Party, PartyKind, Role, Source
from service.application import DealsApplication
from service.replay.feed import FeedReader
from service.settings import Settings

START = datetime(2025, 2, 12, 9, 0, tzinfo=UTC)
SOURCE = (Source("https://apnews.com/article/minerals", "Associated Press"),)
BIG = 10_000
PAGE = 10_000


def long_deal(app: DealsApplication, events: int) -> tuple[uuid.UUID, list[datetime]]:
    """A deal of `events` events that alter its state without growing it; returns its id and occurred times."""
    at = START
    deal = Deal.open(uuid.uuid4(), "US–Ukraine minerals agreement", at, sources=SOURCE)
    deal.join(Party("US", "United States", PartyKind.STATE, (Role.PROPOSER, Role.SIGNATORY)), at)
    deal.join(Party("UA", "Ukraine", PartyKind.STATE, (Role.COUNTERPARTY, Role.AUTHORIZER)), at)
    deal.tender_proposal("v1", "US", ("UA",), ("access to rare earth minerals",), at, sources=SOURCE)
    steps: list[Callable[[datetime], None]] = [
        lambda t: deal.announce_counter_proposal("UA", t, summary="a counter-proposal", sources=SOURCE),
        lambda t: deal.open_negotiation(t, format="working group", sources=SOURCE),
        lambda t: deal.set_deadline(t + timedelta(days=30), t, sources=SOURCE),
        lambda t: deal.assign_role("UA", Role.OBSERVER, t, sources=SOURCE),
        lambda t: deal.revoke_role("UA", Role.OBSERVER, t, sources=SOURCE),
    ]
    times = [at] * 4
    step = 0
    while deal.version < events:
        at += timedelta(minutes=7)
        steps[step % len(steps)](at)
        step += 1
        times.append(at)
        if len(deal.pending_events) >= 1000:
            app.save(deal)
    app.save(deal)
    return deal.id, times


def clone_feed(app: DealsApplication, events: int) -> None:
    """`events` stored events: copies, under new ids, of template deals (a long deal's first 40 events), stored
    through the application's mapper as the service stores them (with their timeline rows and feed JSON)."""
    templates = [list(app.events.get(long_deal(app, 40)[0])) for _ in range(5)]
    batch: list[Any] = []
    written = sum(len(t) for t in templates)
    while written < events:
        template = templates[written % len(templates)]
        deal_id = uuid.uuid4()
        batch += [app.mapper.to_stored_event(replace(event, originator_id=deal_id)) for event in template]
        written += len(template)
        if len(batch) >= 10_000:
            app.recorder.insert_events(batch)
            batch = []
    if batch:
        app.recorder.insert_events(batch)


def timed(call: Callable[[], Any], repeat: int) -> list[float]:
    """Wall times of `repeat` calls, in ms."""
    times = []
    for _ in range(repeat):
        began = time.perf_counter()
        call()
        times.append((time.perf_counter() - began) * 1000)
    return times


def http_get(client: httpx.Client, path: str, **params: Any) -> Callable[[], Any]:
    def call() -> None:
        response = client.get(path, params=params)
        assert response.status_code == 200, response.text

    return call


def figure(name: str, value: float, unit: str, **extra: Any) -> dict[str, Any]:
    return {"name": name, "value": round(value, 2 if value < 100 else 0), "unit": unit, **extra}


def reads(client: httpx.Client, app: DealsApplication, big: uuid.UUID, worst: uuid.UUID, small: uuid.UUID,
          repeat: int) -> list[dict[str, Any]]:
    for deal_id in (big, worst, small):
        timed(http_get(client, f"/deals/{deal_id}"), 20)  # warm up
    p50 = {d: statistics.median(timed(http_get(client, f"/deals/{d}"), repeat)) for d in (small, big, worst)}
    library = statistics.median(timed(lambda: app.repository.get(big), 10))
    full_replay = statistics.median(timed(lambda: _replay_all(app, big), 3))
    return [
        figure("GET deal, 10 events, p50", p50[small], "ms"),
        figure(f"GET deal, {BIG:,} events, p50", p50[big], "ms", library=round(library, 2),
               note=f"{p50[big] / p50[small]:.2f}× the 10-event deal; a snapshot at {BIG:,}"),
        figure(f"GET deal, {BIG:,} / 10-event ratio", p50[big] / p50[small], "×", target="≤ 2",
               met=p50[big] / p50[small] <= 2),
        figure(f"GET deal, {BIG + 99:,} events, p50", p50[worst], "ms",
               note=f"{p50[worst] / p50[small]:.2f}× the 10-event deal: 99 events past the last snapshot"),
        figure(f"replay all {BIG:,} events without a snapshot", full_replay, "ms", note="library, in-process"),
    ]


def _replay_all(app: DealsApplication, deal_id: uuid.UUID) -> Deal:
    deal = None
    for event in app.events.get(deal_id):
        deal = event.mutate(deal)  # type: ignore[attr-defined]
    assert deal is not None
    return deal


def time_travel(client: httpx.Client, app: DealsApplication, big: uuid.UUID, times: list[datetime],
                repeat: int) -> list[dict[str, Any]]:
    rng = random.Random(7)
    path = f"/deals/{big}"
    versions = [rng.randint(1, BIG) for _ in range(repeat)]
    moments = [(rng.choice(times) + timedelta(minutes=3)).isoformat() for _ in range(repeat)]
    for n in versions[:20]:
        http_get(client, path, version=n)()
    by_version = [timed(http_get(client, path, version=n), 1)[0] for n in versions]
    by_time = [timed(http_get(client, path, as_of=t), 1)[0] for t in moments]
    library = [timed(lambda n=n: app.repository.get(big, version=n), 1)[0] for n in versions[:50]]
    return [
        figure(f"time travel ?version=N, {BIG:,} events, p95", percentile(by_version, 95), "ms", target="≤ 20 ms",
               met=percentile(by_version, 95) <= 20,
               library=round(percentile(library, 95), 2), note=f"p50 {statistics.median(by_version):.2f} ms"),
        figure(f"time travel ?as_of=T, {BIG:,} events, p95", percentile(by_time, 95), "ms", target="≤ 20 ms",
               met=percentile(by_time, 95) <= 20,
               note=f"p50 {statistics.median(by_time):.2f} ms; the library has no as_of"),
    ]


def catch_up(client: httpx.Client, server_pid: int, app: DealsApplication, events: int, target: int,
             passes: int) -> list[dict[str, Any]]:
    def over_http() -> int:
        """A client that asks for the next page (from the Deals-Next-After header) while it parses this one."""
        bodies: queue.Queue[bytes | None] = queue.Queue(maxsize=2)

        def fetch() -> None:
            after = 0
            while True:
                response = client.get("/events", params={"after": after, "limit": PAGE})
                bodies.put(response.content)
                after = int(response.headers["Deals-Next-After"])
                if response.headers["Deals-Has-More"] != "true":
                    bodies.put(None)
                    return

        fetcher = threading.Thread(target=fetch)
        fetcher.start()
        count = 0
        while (body := bodies.get()) is not None:
            count += len(orjson.loads(body)["items"])
        fetcher.join()
        return count

    reader = FeedReader(app)

    def in_process() -> int:
        after, count = 0, 0
        while True:
            page = reader.json(after, PAGE)
            count += page.count
            after = page.next_after
            if not page.has_more:
                return count

    def through_mapper(limit: int) -> int:
        after, count = 0, 0
        while count < limit:
            notifications = app.recorder.select_notifications(after, 1000, inclusive_of_start=False)
            for n in notifications:
                app.mapper.to_domain_event(n)
            count += len(notifications)
            after = notifications[-1].id
        return count

    http_rates, reader_rates, server_cpu, reader_cpu = [], [], [], []
    for _ in range(passes):
        cpu = _process_cpu(server_pid)
        http_rates.append(_rate(over_http, events)[0])
        server_cpu.append((_process_cpu(server_pid) - cpu) / events * 1e6)
        rate, cpu_rate = _rate(in_process, events)
        reader_rates.append(rate)
        reader_cpu.append(cpu_rate)
    sample = min(events, 100_000)
    mapper_rate = _rate(lambda: through_mapper(sample), sample)[0]
    http, inproc = statistics.median(http_rates), statistics.median(reader_rates)
    server_us = statistics.median(server_cpu)
    return [
        figure(f"feed catch-up over HTTP, {events:,} events", http, "events/s", target=f"≥ {target:,} events/s",
               met=http >= target,
               library=round(mapper_rate), note=f"pages of {PAGE:,}, the client parsing each page while it fetches the "
               f"next; median of {passes}: {', '.join(f'{r:,.0f}' for r in http_rates)}; the server spent "
               f"{server_us:.1f} µs of CPU per event ({1e6 / server_us:,.0f} events per server CPU-second); "
               "library = decoding each event through the mapper (no JSON)"),
        figure(f"feed catch-up, reader in-process, {events:,} events", inproc, "events/s",
               target=f"≥ {target:,} events/s", met=inproc >= target,
               note=f"the same reads and JSON without HTTP; {statistics.median(reader_cpu):,.0f} events per "
               "CPU-second"),
    ]


def _rate(call: Callable[[], int], expected: int) -> tuple[float, float]:
    """Events per second of wall time, and per second of this process's CPU time."""
    began, cpu = time.perf_counter(), time.process_time()
    count = call()
    elapsed, cpu_used = time.perf_counter() - began, time.process_time() - cpu
    assert count >= expected, (count, expected)
    return count / elapsed, count / max(cpu_used, 1e-9)


def _process_cpu(pid: int) -> float:
    """CPU seconds (user + system) a process has used, from /proc (Linux)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def stream_latency(url: str, deal_id: uuid.UUID, samples: int) -> list[dict[str, Any]]:
    """From sending a POST to its event arriving on an open /events/stream (same machine, loopback)."""
    arrived: dict[int, float] = {}
    ready = threading.Event()

    def listen() -> None:
        with httpx.Client(base_url=url, timeout=30) as client, client.stream("GET", "/events/stream") as response:
            for line in response.iter_lines():
                if line.startswith("retry"):
                    ready.set()
                elif line.startswith("id: "):
                    arrived[int(line[4:])] = time.perf_counter()
                    if len(arrived) >= samples:
                        return

    listener = threading.Thread(target=listen, daemon=True)
    listener.start()
    ready.wait(30)
    latencies = []
    with httpx.Client(base_url=url, timeout=30) as client:
        for i in range(samples):
            body = {"type": "deadline_set", "deadline_at": (START + timedelta(days=400 + i)).isoformat()}
            sent = time.perf_counter()  # the event may reach the stream before the POST's own answer
            position = client.post(f"/deals/{deal_id}/events", json=body).json()["position"]
            while position not in arrived:
                time.sleep(0.001)
            latencies.append((arrived[position] - sent) * 1000)
            time.sleep(random.uniform(0.05, 0.15))
    listener.join(30)
    return [figure("live stream: POST sent to event received, p95", percentile(latencies, 95), "ms",
                   target="a fraction of a second", met=percentile(latencies, 95) < 500,
                   note=f"p50 {statistics.median(latencies):.1f} ms")]


def run(backend: str, database_url: str, quick: bool) -> dict[str, Any]:
    feed_events = 100_000 if quick else 1_000_000
    target = 100_000 if backend == "postgres" else 150_000
    settings = Settings(database_url=database_url, run_background=False, write_mode="naive")
    app = DealsApplication(settings=settings)
    try:
        big, times = long_deal(app, BIG)
        worst, _ = long_deal(app, BIG + 99)
        small, _ = long_deal(app, 10)
        clone_feed(app, feed_events - app.recorder.max_notification_id())
        total = app.recorder.max_notification_id()
        figures: list[dict[str, Any]] = []
        with running_server(database_url, max_events_page=str(PAGE), pool_size="4") as server, \
                httpx.Client(base_url=server.url, timeout=120) as client:
            figures += reads(client, app, big, worst, small, 100 if quick else 300)
            figures += time_travel(client, app, big, times, 100 if quick else 400)
            figures += catch_up(client, server.process.pid, app, total, target, 1 if quick else 3)
            figures += stream_latency(server.url, small, 10 if quick else 40)
    finally:
        app.close()
    return {"figures": figures, "events_in_store": total}


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.replay", description=__doc__.splitlines()[0])
    parser.add_argument("--backend", choices=["sqlite", "postgres", "both"], default="both")
    parser.add_argument("--full", action="store_true", help="10^6 feed events and more samples")
    args = parser.parse_args()
    for backend in ["sqlite", "postgres"] if args.backend == "both" else [args.backend]:
        with fresh_database(backend) as url:
            result = run(backend, url, quick=not args.full)
        print(f"\n{backend} ({result['events_in_store']:,} events in the store)")
        for f in result["figures"]:
            extra = "  ".join(f"{k}={f[k]}" for k in ("target", "library", "note") if f.get(k) is not None)
            print(f"  {f['name']}: {f['value']:,} {f['unit']}  {extra}")


if __name__ == "__main__":
    main()
