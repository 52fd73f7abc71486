"""What the write and read benchmarks share: the workload, seeding, in-process baselines and figures."""

from __future__ import annotations

import random
import statistics
import threading
import time
import uuid
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

from eventsourcing.persistence import IntegrityError

from bench.load import drive, percentile, request_bytes
from domain import Deal
from domain.values import Party, PartyKind, Role, Speaker, Stance
from service.application import DealsApplication
from service.settings import Settings

# A statement is allowed in every state, so the same command can be sent to any deal any number of times.
STATEMENT = {"type": "statement_recorded", "speaker": {"name": "Bench", "party_id": "US"}, "quote": "We are close."}
OPENING = {
    "title": "Bench deal",
    "parties": [{"party_id": "US", "name": "United States", "roles": ["proposer", "signatory"]},
                {"party_id": "UA", "name": "Ukraine", "roles": ["counterparty", "authorizer", "signatory"]}],
}


def seed_deals(url: str, count: int, clients: int = 8) -> list[str]:
    """Open `count` deals through the API (3 events each: opened and two parties joined)."""
    ids = [str(uuid.uuid4()) for _ in range(count)]
    pending = iter(ids)
    result = drive(url, clients, lambda _: request_bytes("POST", "/deals", {**OPENING, "deal_id": next(pending)}),
                   seconds=600, warmup=0, max_requests=count)
    if result.ok != count:
        raise RuntimeError(f"seeding deals: {result.statuses}")
    return ids


def statement_requests(deal_ids: list[str], events: int = 1) -> Callable[[random.Random], bytes]:
    """POST requests of one statement (or a batch of `events`) to a random deal of `deal_ids`."""
    body: Any = STATEMENT if events == 1 else [STATEMENT] * events
    prebuilt = [request_bytes("POST", f"/deals/{deal_id}/events", body) for deal_id in deal_ids]
    return lambda rng: prebuilt[rng.randrange(len(prebuilt))]


def touch_all(url: str, deal_ids: list[str], clients: int = 16) -> None:
    """One statement to every deal, so that a fresh server's writer holds them all before it is measured."""
    pending = iter([request_bytes("POST", f"/deals/{deal_id}/events", STATEMENT) for deal_id in deal_ids])
    drive(url, clients, lambda _: next(pending), seconds=600, warmup=0, max_requests=len(deal_ids))


def median_range(values: list[float]) -> tuple[float, float, float]:
    return statistics.median(values), min(values), max(values)


# ---- the bare library in-process ----------------------------------------------------------------------------


def library_app(database_url: str) -> DealsApplication:
    """The eventsourcing Application on the same database; only its repository and save() are used here."""
    return DealsApplication(settings=Settings(database_url=database_url, write_mode="naive", run_background=False))


def library_deals(app: DealsApplication, count: int) -> list[uuid.UUID]:
    now = datetime.now(UTC)
    deals = []
    for _ in range(count):
        deal = Deal.open(uuid.uuid4(), "Bench deal", now)
        deal.join(Party("US", "United States", PartyKind.STATE, (Role.PROPOSER,)), now)
        deal.join(Party("UA", "Ukraine", PartyKind.STATE, (Role.COUNTERPARTY,)), now)
        deals.append(deal)
    for start in range(0, count, 100):
        app.save(*deals[start:start + 100])
    return [d.id for d in deals]


def library_commands(app: DealsApplication, deal_ids: list[uuid.UUID], threads: int, seconds: float,
                     events: int = 1) -> dict[str, float]:
    """get → record `events` statements → save(), one save() per command, from `threads` threads: per second."""
    stop_at = time.perf_counter() + seconds
    latencies: list[float] = []
    conflicts = 0
    lock = threading.Lock()

    def work(number: int) -> None:
        nonlocal conflicts
        rng = random.Random(number)
        speaker = Speaker(name="Bench", party_id="US")
        while time.perf_counter() < stop_at:
            began = time.perf_counter()
            deal_id = deal_ids[rng.randrange(len(deal_ids))]
            while True:
                deal = app.repository.get(deal_id)
                for _ in range(events):
                    deal.record_statement(uuid.uuid4().hex[:12], speaker, "We are close.", Stance.NEUTRAL,
                                          datetime.now(UTC))
                try:
                    app.save(deal)
                    break
                except IntegrityError:
                    with lock:
                        conflicts += 1
            with lock:
                latencies.append(time.perf_counter() - began)

    began = time.perf_counter()
    workers = [threading.Thread(target=work, args=(n,)) for n in range(threads)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join()
    elapsed = time.perf_counter() - began
    return {"per_s": len(latencies) / elapsed, "p50_ms": percentile(latencies, 50) * 1000,
            "p99_ms": percentile(latencies, 99) * 1000, "conflicts": conflicts}


def figure(name: str, value: float, unit: str, **extra: Any) -> dict[str, Any]:
    return {"name": name, "value": round(value, 2), "unit": unit,
            **{k: (round(v, 2) if isinstance(v, float) else v) for k, v in extra.items() if v is not None}}
