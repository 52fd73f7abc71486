"""The tamper-evident log's figures (issue 26), each beside its comparison in the same run:

- single-event commands/s at 16 clients with the log kept (DEALS_LEDGER=on, its follower hashing in the server
  process) over the same with it off, runs interleaved; both with the rest of the background work on;
- `deals verify` (verify_log, what the command runs) over a stored log of 100,000 events or more;
- inclusion and consistency proofs over HTTP at 1,000,000 leaves (the leaves loaded in bulk, as hashes).
"""

from __future__ import annotations

import os
import random
import re
import statistics
import subprocess
import sys
import time
import uuid
from typing import Any

import httpx

from bench.common import figure, seed_deals, statement_requests, touch_all
from bench.load import drive, percentile
from bench.replay import clone_feed
from bench.server import running_server
from service.application import DealsApplication
from service.ledger.follower import extend
from service.ledger.merkle import new_nodes
from service.ledger.store import LedgerStore
from service.settings import Settings

RATIO_TARGET = 0.95
VERIFY_TARGET = 50_000  # events/s
PROOF_TARGET_MS = 5.0
LEAVES = 1_000_000


def run(backend: str, database_url: str, quick: bool) -> dict[str, Any]:
    figures = commands_on_and_off(database_url, quick)
    figures += verify_rate(database_url, 100_000 if quick else 200_000)
    figures += proofs(database_url, 200 if quick else 1000)
    return {"figures": figures}


def commands_on_and_off(database_url: str, quick: bool) -> list[dict[str, Any]]:
    seconds, warmup, rounds = (2.0, 0.5, 3) if quick else (6.0, 1.0, 5)
    rates: dict[str, list[float]] = {"on": [], "off": []}
    cpu: dict[str, list[float]] = {"on": [], "off": []}
    deal_ids: list[str] = []
    for round_ in range(rounds):
        for mode in (("off", "on") if round_ % 2 == 0 else ("on", "off")):
            with running_server(database_url, run_background="true", ledger=mode) as server:
                if not deal_ids:
                    deal_ids = seed_deals(server.url, 150)
                touch_all(server.url, deal_ids)
                result = drive(server.url, 16, statement_requests(deal_ids), seconds, warmup, server=server)
                rates[mode].append(result.rate)
                cpu[mode].append(result.cpu_ms)
    on, off = statistics.median(rates["on"]), statistics.median(rates["off"])
    return [
        figure("single-event commands/s, 16 clients, log on", on, "commands/s",
               target=f"≥ {RATIO_TARGET:g}× log off", met=on >= RATIO_TARGET * off,
               note=f"{on / off:.2f}× log off ({off:,.0f}/s); server CPU {statistics.median(cpu['on']):.2f} against "
                    f"{statistics.median(cpu['off']):.2f} ms/command; median of {rounds} interleaved runs each, "
                    f"on [{min(rates['on']):,.0f}–{max(rates['on']):,.0f}], "
                    f"off [{min(rates['off']):,.0f}–{max(rates['off']):,.0f}]"),
    ]


def verify_rate(database_url: str, events: int) -> list[dict[str, Any]]:
    """`deals verify` run as a user runs it, over a log the follower has hashed; its own figure of events/s."""
    settings = Settings(database_url=database_url, run_background=False)
    app = DealsApplication(settings=settings)
    store = LedgerStore(settings)
    try:
        clone_feed(app, events - (app.recorder.max_notification_id() or 0))
        began = time.perf_counter()
        while extend(app, store, page=5000):
            pass
        hashed = time.perf_counter() - began
        size = store.size()[0]
    finally:
        store.close()
        app.close()
    env = {**os.environ, "DEALS_DATABASE_URL": database_url, "DEALS_LOG_LEVEL": "warning"}
    began = time.perf_counter()
    done = subprocess.run([sys.executable, "-m", "service.entrypoints.cli", "verify"], env=env, capture_output=True,
                          text=True, timeout=600, check=False)
    wall = time.perf_counter() - began
    said = re.search(r"([\d,]+) events re-hashed in ([\d.]+) s \(([\d,]+)/s\)", done.stdout)
    if done.returncode != 0 or said is None:
        raise RuntimeError(f"deals verify: exit {done.returncode}\n{done.stdout[-2000:]}\n{done.stderr[-2000:]}")
    count, rate = int(said[1].replace(",", "")), float(said[3].replace(",", ""))
    return [figure(f"deals verify: events re-hashed per second ({count:,} events)", rate, "events/s",
                   target=f"≥ {VERIFY_TARGET:,}/s", met=rate >= VERIFY_TARGET,
                   note=f"as the command prints it ({os.cpu_count()} worker processes); {wall:.1f} s in all with "
                        f"start-up; the follower built the same tree ({size:,} leaves) at {size / hashed:,.0f} "
                        "events/s in one thread")]


def load_leaves(store: LedgerStore, count: int) -> None:
    """`count` leaves (random hashes, positions 1…count) and their complete subtrees, written in bulk."""
    rng = random.Random(26)
    hashes = [rng.randbytes(32) for _ in range(count)]
    nodes = new_nodes(0, hashes, lambda keys: {})
    deal = uuid.uuid4()
    leaves = [(i, i + 1, deal if store.postgres else str(deal), 1) for i in range(count)]
    rows = [(level, index, digest) for (level, index), digest in nodes.items()]
    if store.postgres:
        with store._tx() as c:  # COPY: a million rows in seconds
            with c.cursor.copy(f"COPY {store.leaves} (leaf_index, position, deal_id, version) FROM STDIN") as copy:
                for row in leaves:
                    copy.write_row(row)
            with c.cursor.copy(f"COPY {store.nodes} (level, idx, hash) FROM STDIN") as copy:
                for row in rows:
                    copy.write_row(row)
        return
    with store._tx() as c:
        c.executemany(f"INSERT INTO {store.leaves} VALUES (?,?,?,?)", leaves)
        c.executemany(f"INSERT INTO {store.nodes} VALUES (?,?,?)", rows)


def proofs(database_url: str, samples: int) -> list[dict[str, Any]]:
    settings = Settings(database_url=database_url, run_background=False)
    store = LedgerStore(settings)
    try:
        if store.size()[0]:  # the verify figure's tree: start this one afresh
            with store._tx() as c:
                c.execute(f"DELETE FROM {store.leaves}")
                c.execute(f"DELETE FROM {store.nodes}")
        began = time.perf_counter()
        load_leaves(store, LEAVES)
        loaded = time.perf_counter() - began
    finally:
        store.close()
    rng = random.Random(9162)
    inclusion_ms, consistency_ms = [], []
    with running_server(database_url) as server, httpx.Client(base_url=server.url, timeout=30) as client:
        for _ in range(20):  # warm-up: connections, caches
            client.get("/log/proof/inclusion", params={"position": rng.randint(1, LEAVES), "tree_size": LEAVES})
        for _ in range(samples):
            began = time.perf_counter()
            response = client.get("/log/proof/inclusion", params={"position": rng.randint(1, LEAVES),
                                                                  "tree_size": LEAVES})
            inclusion_ms.append((time.perf_counter() - began) * 1000)
            assert response.status_code == 200, response.text
            began = time.perf_counter()
            response = client.get("/log/proof/consistency", params={"from": rng.randint(1, LEAVES - 1),
                                                                    "to": LEAVES})
            consistency_ms.append((time.perf_counter() - began) * 1000)
            assert response.status_code == 200, response.text
    figures = []
    for name, times in (("inclusion", inclusion_ms), ("consistency", consistency_ms)):
        p95 = percentile(times, 95)
        figures.append(figure(f"{name} proof over HTTP at {LEAVES:,} leaves, p95", p95, "ms",
                              target=f"≤ {PROOF_TARGET_MS:g} ms", met=p95 <= PROOF_TARGET_MS,
                              note=f"p50 {percentile(times, 50):.2f} ms, {samples} random proofs; the leaves and "
                                   f"their ~{2 * LEAVES:,} nodes loaded in bulk in {loaded:.0f} s"))
    return figures
