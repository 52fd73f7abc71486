"""The write path: single-event commands and 100-event batches over HTTP, group commit against the naive path,
the bare library in-process and the raw database, all in the same run."""

from __future__ import annotations

import statistics
from typing import Any

from bench import rawdb
from bench.common import figure, library_app, library_commands, library_deals, seed_deals, statement_requests
from bench.load import Result, drive
from bench.server import running_server

TARGETS = {  # clients -> (commands/s, p99 ms) from issue 6; each also ≥ 4× naive
    ("postgres", 16): (1500, 50.0),
    ("postgres", 64): (2000, None),
    ("sqlite", 16): (2000, None),
}
MAX_DB_CLIENTS = 16  # raw-INSERT threads: PostgreSQL connections are shared with everyone's test suites


def run(backend: str, database_url: str, quick: bool) -> dict[str, Any]:
    seconds, warmup, repeats = (2.0, 0.5, 1) if quick else (8.0, 1.0, 3)
    levels = [1, 4, 16, 64] if backend == "postgres" else [1, 4, 16]
    naive_levels = [16, 64] if backend == "postgres" else [16]
    group: dict[int, list[Result]] = {n: [] for n in levels}
    naive: dict[int, list[Result]] = {n: [] for n in naive_levels}
    batches: dict[str, list[Result]] = {"group": [], "naive": []}
    rss_idle = 0.0
    deals: dict[str, list[str]] = {}

    for _ in range(repeats):
        with running_server(database_url) as server:
            if not deals:
                deals = {mode: seed_deals(server.url, 300 if quick else 1000) for mode in ("group", "naive")}
                rss_idle = server.rss_mb()
            single = statement_requests(deals["group"])
            for clients in levels:
                group[clients].append(drive(server.url, clients, single, seconds, warmup, server=server))
            batches["group"].append(drive(server.url, 16, statement_requests(deals["group"], 100), seconds, warmup,
                                          server=server))
        with running_server(database_url, write_mode="naive") as server:
            single = statement_requests(deals["naive"])
            for clients in naive_levels:
                naive[clients].append(drive(server.url, clients, single, seconds, warmup, server=server))
            batches["naive"].append(drive(server.url, 16, statement_requests(deals["naive"], 100), seconds, warmup))

    library = _library(database_url, seconds, levels)
    database = _database(backend, database_url, seconds, levels)
    figures = _figures(backend, group, naive, batches, library, database, rss_idle)
    return {
        "figures": figures,
        "runs": {
            "group": {n: [r.summary() for r in rs] for n, rs in group.items()},
            "naive": {n: [r.summary() for r in rs] for n, rs in naive.items()},
            "batch_100": {mode: [r.summary() for r in rs] for mode, rs in batches.items()},
            "library": library,
            "database": database,
        },
        "workload": f"{len(deals['group'])} deals per mode, one statement_recorded per command, random deal; "
                    f"{repeats} × {seconds:g} s per figure after {warmup:g} s warm-up",
    }


def _library(database_url: str, seconds: float, levels: list[int]) -> dict[str, Any]:
    app = library_app(database_url)
    try:
        ids = library_deals(app, 300)
        single = {n: library_commands(app, ids, min(n, 16), seconds) for n in sorted({min(n, 16) for n in levels})}
        batch = library_commands(app, ids, 4, seconds, events=100)
    finally:
        app.close()
    return {"single": single, "batch_100_4_threads": batch}


def _database(backend: str, database_url: str, seconds: float, levels: list[int]) -> dict[str, Any]:
    if backend == "sqlite":
        return {"single": {1: rawdb.sqlite_inserts(database_url, seconds)},
                "rows_100": rawdb.sqlite_inserts(database_url, seconds, rows=100)}
    clients = sorted({min(n, MAX_DB_CLIENTS) for n in levels})
    return {
        "single": {n: rawdb.postgres_inserts(database_url, n, seconds) for n in clients},
        "locked": {n: rawdb.postgres_inserts(database_url, n, seconds, locked=True) for n in clients},
        "rows_100": rawdb.postgres_inserts(database_url, 16, seconds, rows=100),
    }


def _median(results: list[Result], attribute: str, *args: float) -> float:
    values = [getattr(r, attribute)(*args) if args else getattr(r, attribute) for r in results]
    return statistics.median(values)


def _spread(results: list[Result]) -> str | None:
    if len(results) < 2:
        return None
    rates = [r.rate for r in results]
    return f"median of {len(rates)} runs [{min(rates):.0f}–{max(rates):.0f}]"


def _figures(backend: str, group: dict[int, list[Result]], naive: dict[int, list[Result]],
             batches: dict[str, list[Result]], library: dict[str, Any], database: dict[str, Any],
             rss_idle: float) -> list[dict[str, Any]]:
    figures = []
    for clients, results in group.items():
        lib = library["single"][min(clients, 16)]
        db_single = database["single"]
        db = db_single.get(min(clients, MAX_DB_CLIENTS)) if backend == "postgres" else db_single[1]
        rate = _median(results, "rate")
        naive_rate = _median(naive[clients], "rate") if clients in naive else None
        target = TARGETS.get((backend, clients))
        met = None
        if target:
            met = rate >= target[0] and (naive_rate is None or rate >= 4 * naive_rate)
            if target[1] is not None:
                met = met and _median(results, "ms", 99) <= target[1]
        target_text = None
        if target:
            target_text = f"≥ {target[0]:,}/s" + (f", p99 ≤ {target[1]:g} ms" if target[1] else "") + ", ≥ 4× naive"
        note = [f"library: {min(clients, 16)} threads"]
        if backend == "postgres":
            note.append(f"LOCK+NOTIFY insert {database['locked'][min(clients, MAX_DB_CLIENTS)]:.0f}/s")
        if naive_rate is not None:
            statuses = naive[clients][0].statuses
            note.append(f"naive non-2xx: {sum(n for s, n in statuses.items() if s >= 300)}")
        spread = _spread(results)
        if spread:
            note.append(spread)
        figures.append(figure(f"single-event commands/s, {clients} clients", rate, "commands/s",
                              library=lib["per_s"], database=db, naive=naive_rate, target=target_text, met=met,
                              note="; ".join(note)))
        for pct in (50, 95, 99):
            naive_ms = _median(naive[clients], "ms", pct) if clients in naive else None
            lib_ms = lib["p50_ms"] if pct == 50 else lib["p99_ms"] if pct == 99 else None
            p99_target = target[1] if target and pct == 99 else None
            figures.append(figure(
                f"  p{pct} latency, {clients} clients", _median(results, "ms", pct), "ms", library=lib_ms,
                naive=naive_ms, target=f"≤ {p99_target:g} ms" if p99_target else None,
                met=(_median(results, "ms", pct) <= p99_target) if p99_target else None))
    batch_rate = _median(batches["group"], "rate") * 100
    figures.append(figure(
        "batched appends (100 events/request), 16 clients", batch_rate, "events/s",
        library=library["batch_100_4_threads"]["per_s"] * 100, database=database["rows_100"],
        naive=_median(batches["naive"], "rate") * 100,
        note=f"p99 {_median(batches['group'], 'ms', 99):.0f} ms; library: 4 threads; database: 100-row INSERTs"))
    figures.append(figure("server RSS under load (16 clients)", max(r.rss_peak_mb for r in group[16]), "MB",
                          note=f"{rss_idle:.0f} MB after seeding, before load"))
    return figures
