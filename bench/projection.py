"""Projection rebuild: how fast `deals projections rebuild` turns the event log into the deal list (events/s).

Fills an empty database with deals written through the domain (open, parties, then rounds of proposals,
statements, conditions and counter-proposals), then rebuilds the deal list from the log in bulk, as the CLI does,
and times it. For comparison it also times the library's one-transaction-per-event projection on a slice of the
log, and a bare read of the same notifications (the floor any rebuild pays).

    .venv/bin/python -m bench.projection [--backend sqlite|postgres] [--full]
"""

from __future__ import annotations

import argparse
import os
import tempfile
import time
import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

from eventsourcing.persistence import Tracking

from domain import Deal
from domain.values import ConditionKind, ConditionStatus, Party, PartyKind, Role, Speaker, Stance
from service.application import DealsApplication
from service.projections.deal_list import DealListProjection, close_view, open_view
from service.projections.deal_list_batch import rebuild
from service.settings import Settings

TARGET = 20_000
START = datetime(2025, 1, 1, tzinfo=UTC)


def make_deal(rounds: int) -> Deal:
    """A deal of 3 + 5 × rounds events: proposals and counter-proposals going back and forth."""
    at = START
    deal = Deal.open(uuid.uuid4(), f"Minerals agreement {uuid.uuid4().hex[:6]}", at)
    deal.join(Party("US", "United States", PartyKind.STATE, (Role.PROPOSER, Role.SIGNATORY)), at)
    deal.join(Party("UA", "Ukraine", PartyKind.STATE, (Role.COUNTERPARTY, Role.AUTHORIZER, Role.SIGNATORY)), at)
    sides = ("US", "UA")
    for n in range(rounds):
        by, to = sides[n % 2], sides[(n + 1) % 2]
        at += timedelta(hours=1)
        deal.tender_proposal(f"v{n}", by, (to,), (f"term {n}", "minerals access"), at)
        deal.record_statement(f"s{n}", Speaker("spokesperson", None, to), f"On draft {n}: not yet.",
                              Stance.CRITICIZE, at)
        deal.raise_condition(f"c{n}", to, ConditionKind.SECURITY_GUARANTEE, "security guarantees first", at)
        deal.announce_counter_proposal(to, at)
        deal.resolve_condition(ConditionStatus.SATISFIED, f"c{n}", by, at)
    return deal


def fill(app: DealsApplication, events: int, rounds: int = 9) -> int:
    """Write about `events` events, 100 deals per transaction; the number written."""
    per_deal = 3 + 5 * rounds
    written = 0
    while written < events:
        deals = [make_deal(rounds) for _ in range(min(100, -(-(events - written) // per_deal)))]
        app.save(*deals)
        written += per_deal * len(deals)
    return written


def time_rebuild(app: DealsApplication, settings: Settings) -> tuple[float, float, int]:
    """Wall seconds, this process's CPU seconds (robust to other processes on the machine), deals."""
    view = open_view(settings)
    try:
        started, cpu = time.perf_counter(), time.process_time()
        rebuild(app, view)
        return time.perf_counter() - started, time.process_time() - cpu, len(view.rows())
    finally:
        close_view(view)


def time_per_event(app: DealsApplication, settings: Settings, events: int) -> float:
    """The live projection's way (the library's runner hands it one event at a time; it writes what accumulated
    while the previous transaction committed), on the first events of the log (the rebuild redoes them)."""
    view = open_view(settings)
    try:
        projection = DealListProjection(view)
        projection.follow(app)
        notifications = app.recorder.select_notifications(start=0, limit=events, inclusive_of_start=False)
        started = time.perf_counter()
        for n in notifications:
            projection.process_event(app.mapper.to_domain_event(n), Tracking(app.name, n.id))
        projection.hand_off.close()  # everything written
        return len(notifications) / (time.perf_counter() - started)
    finally:
        close_view(view)


def time_read(app: DealsApplication) -> float:
    started, count, position = time.perf_counter(), 0, 0
    while notifications := app.recorder.select_notifications(start=position, limit=5000, inclusive_of_start=False):
        count += sum(1 for n in notifications if app.mapper.to_domain_event(n))
        position = notifications[-1].id
    return count / (time.perf_counter() - started)


def run(backend: str, database_url: str, quick: bool) -> dict[str, Any]:
    settings = Settings(database_url=database_url, run_background=False)
    app = DealsApplication(settings=settings)
    try:
        events = fill(app, 40_000 if quick else 200_000)
        per_event = time_per_event(app, settings, 1_000 if quick else 3_000)
        seconds, cpu_seconds, deals = time_rebuild(app, settings)
        read_rate = time_read(app)
        rate = events / seconds
        figures = [
            {"name": f"projection rebuild, {events:,} events / {deals:,} deals", "value": round(rate),
             "unit": "events/s", "target": f"≥ {TARGET:,} events/s",
             "note": f"{seconds:.2f} s wall, {events / cpu_seconds:,.0f} events per CPU-second of this process; "
                     f"the live projection fed one event at a time (group commit): {per_event:,.0f} events/s"},
            {"name": "reading + decoding the log (the floor of any rebuild)", "value": round(read_rate),
             "unit": "events/s"},
        ]
        return {"figures": figures, "backend": backend, "events": events, "deals": deals}
    finally:
        app.close()


def _postgres_database(url: str) -> tuple[str, Any]:
    import psycopg

    name = f"bench_projection_{uuid.uuid4().hex[:8]}"
    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute(f"CREATE DATABASE {name}")

    def drop() -> None:
        with psycopg.connect(url, autocommit=True) as conn:
            conn.execute(f"DROP DATABASE {name} WITH (FORCE)")

    return url.rsplit("/", 1)[0] + f"/{name}", drop


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--backend", choices=["sqlite", "postgres", "both"], default="both")
    parser.add_argument("--full", action="store_true", help="200,000 events instead of 40,000")
    args = parser.parse_args()
    backends = ["sqlite", "postgres"] if args.backend == "both" else [args.backend]
    for backend in backends:
        if backend == "sqlite":
            with tempfile.TemporaryDirectory() as tmp:
                result = run(backend, f"sqlite:///{tmp}/deals.db", quick=not args.full)
        else:
            url, drop = _postgres_database(
                os.environ.get("DEALS_BENCH_POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432/postgres"))
            try:
                result = run(backend, url, quick=not args.full)
            finally:
                drop()
        for figure in result["figures"]:
            print(f"{backend:8} {figure['name']}: {figure['value']:,} {figure['unit']}"
                  f"  {figure.get('target', '')}  {figure.get('note', '')}")


if __name__ == "__main__":
    main()
