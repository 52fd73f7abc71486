"""The write path: single-event commands and 100-event batches over HTTP, group commit against the naive path,
the bare library in-process and the raw database, all in the same run."""

from __future__ import annotations

import re
import statistics
import time
from typing import Any

import httpx

from bench import rawdb
from bench.common import (
    figure,
    library_app,
    library_commands,
    library_deals,
    seed_deals,
    statement_requests,
    touch_all,
)
from bench.load import Result, drive
from bench.server import running_server
from bench.two_processes import Together, two_servers

TARGETS = {  # (backend, clients) -> (commands/s, p99 ms) from issue 6; each also ≥ 4× naive
    ("postgres", 16): (1500, 50.0),
    ("postgres", 64): (2000, None),
    ("sqlite", 16): (2000, None),
}
# Two server processes writing the same deals at 64 clients, against one process at 64 (issue 13).
TWO_PROCESS_TARGETS = {"by_deal": 1.0, "round_robin": 0.8}
TWO_PROCESS_CPU = 1.2  # server CPU per command with two processes, at most this times one process's
MAX_DB_CLIENTS = 16  # raw-INSERT threads: PostgreSQL connections are shared with everyone's test suites
BARE_APP = "bench.bare_app:create_app"
FRAMEWORK_APP = "bench.framework_app:create_app"
FRAMEWORK_CPU = 2.0  # server CPU per command, at most this times a bare FastAPI request's (issue 31)


def run(backend: str, database_url: str, quick: bool) -> dict[str, Any]:
    seconds, warmup, repeats = (1.5, 0.3, 1) if quick else (6.0, 1.0, 3)
    levels = [1, 4, 16, 64] if backend == "postgres" else [1, 4, 16]
    naive_levels = [16, 64] if backend == "postgres" else [16]
    baseline_levels = [1, 16] if quick else levels
    runs: dict[str, dict[Any, list[Result]]] = {"group": {}, "naive": {}, "batch": {}, "bare": {}, "two": {},
                                                "followed": {}, "framework": {}}
    proxy_cpu: dict[str, list[float]] = {}
    batch_sizes: dict[int, list[float]] = {}
    rss_idle = 0.0
    deals: dict[str, list[str]] = {}

    def measure(kind: str, key: Any, url: str, clients: int, make: Any, server: Any) -> Result:
        result = drive(url, clients, make, seconds, warmup, server=server)
        runs[kind].setdefault(key, []).append(result)
        return result

    for _ in range(repeats):
        with running_server(database_url) as server:
            if not deals:
                count = 150 if quick else 1000
                deals = {mode: seed_deals(server.url, count) for mode in ("group", "naive")}
                rss_idle = server.rss_mb()
            touch_all(server.url, deals["group"])  # a fresh writer reads each deal once; not in the figures
            for clients in levels:
                before = _batches(server.url)
                measure("group", clients, server.url, clients, statement_requests(deals["group"]), server)
                batch_sizes.setdefault(clients, []).append(_average_batch(before, _batches(server.url)))
            measure("batch", "group", server.url, 16, statement_requests(deals["group"], 100), server)
        with running_server(database_url, run_background="true") as server:  # the followers in the same process
            touch_all(server.url, deals["group"])
            _followers_caught_up(server.url)
            measure("followed", 16, server.url, 16, statement_requests(deals["group"]), server)
        with running_server(database_url, app=FRAMEWORK_APP) as server:  # FastAPI alone: the floor of a request
            for clients in levels:
                measure("framework", clients, server.url, clients, statement_requests(deals["group"]), server)
        with running_server(database_url, write_mode="naive") as server:
            for clients in naive_levels:
                measure("naive", clients, server.url, clients, statement_requests(deals["naive"]), server)
            measure("batch", "naive", server.url, 16, statement_requests(deals["naive"], 100), server)
        if not quick:
            with running_server(database_url, app=BARE_APP) as server:
                touch_all(server.url, deals["group"])
                measure("bare", 16, server.url, 16, statement_requests(deals["group"]), server)

        if backend == "postgres":  # two server processes writing the same deals, routed by deal and round-robin
            _two_processes(database_url, deals["group"], measure, proxy_cpu)

    library = _library(database_url, seconds, baseline_levels)
    database = _database(backend, database_url, seconds, baseline_levels)
    return {
        "figures": _figures(backend, runs, batch_sizes, library, database, rss_idle)
                   + (_two_process_figures(runs, proxy_cpu, database) if backend == "postgres" else []),
        "runs": {kind: {str(k): [r.summary() for r in rs] for k, rs in by_key.items()}
                 for kind, by_key in runs.items()},
        "library": library,
        "database": database,
        "workload": f"{len(deals['group'])} deals per mode, one statement_recorded per command to a random deal; "
                    f"{repeats} × {seconds:g} s per figure after {warmup:g} s warm-up; a fresh group-commit server "
                    "first gets one command per deal (its writer reads each deal once), outside the figures",
    }


def _followers_caught_up(url: str, timeout: float = 300.0) -> None:
    """Wait until every follower has processed the whole log: their catch-up at start is not in the figures."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        lags = re.findall(r"^deals_projection_lag_events\{[^}]*\} (\S+)$", httpx.get(f"{url}/metrics").text, re.M)
        if lags and all(float(lag) == 0 for lag in lags):
            return
        time.sleep(0.5)
    raise RuntimeError(f"the followers did not catch up with the log within {timeout:g} s")


def _two_processes(database_url: str, deal_ids: list[str], measure: Any, proxy_cpu: dict[str, list[float]]) -> None:
    """nginx in front of two processes: routed by deal, then round-robin; one process behind it for reference."""
    with two_servers(database_url) as (servers, proxy):
        for routing, server in (("by_deal", Together(servers)), ("round_robin", Together(servers)),
                                ("one", servers[0])):
            url = proxy.urls[routing]
            touch_all(url, deal_ids)  # each writer reads the deals it is sent once, outside the figures
            began = proxy.cpu_seconds()
            result = measure("two", routing, url, 64, statement_requests(deal_ids), server)
            proxy_cpu.setdefault(routing, []).append((proxy.cpu_seconds() - began) * 1000 / max(result.ok, 1))


def _two_process_figures(runs: dict[str, dict[Any, list[Result]]], proxy_cpu: dict[str, list[float]],
                         database: dict[str, Any]) -> list[dict[str, Any]]:
    one_rate, one_cpu = _median(runs["group"][64], "rate"), _median(runs["group"][64], "cpu_ms")
    proxied = runs["two"]["one"]
    proxied_rate = _median(proxied, "rate")
    ceiling = database["locked"][4]
    figures = []
    names = {"by_deal": "routed by deal (nginx hash of the deal id)", "round_robin": "round-robin (nginx)"}
    for routing, wanted in TWO_PROCESS_TARGETS.items():
        results = runs["two"][routing]
        rate, cpu = _median(results, "rate"), _median(results, "cpu_ms")
        refused = sum(n for r in results for status, n in r.statuses.items() if status >= 300)
        figures.append(figure(
            f"single-event commands/s, 64 clients, 2 server processes, {names[routing]}", rate, "commands/s",
            naive=_median(runs["naive"][64], "rate"), target=f"≥ {wanted:g}× one process ({one_rate:,.0f}/s)",
            met=rate >= wanted * one_rate,
            note=f"{rate / one_rate:.2f}× one process direct, {rate / proxied_rate:.2f}× one process behind the "
                 f"same nginx ({proxied_rate:,.0f}/s); {refused} refused; p99 {_median(results, 'ms', 99):.0f} ms; "
                 f"nginx CPU {statistics.median(proxy_cpu[routing]):.2f} ms/command; database with "
                 f"LOCK+NOTIFY, 4 connections: {ceiling:,.0f}/s"))
        figures.append(figure(
            f"  server CPU per command, 2 server processes, {names[routing]}", cpu, "ms",
            target=f"≤ {TWO_PROCESS_CPU:g}× one process ({one_cpu:.2f} ms)",
            met=cpu <= TWO_PROCESS_CPU * one_cpu if routing == "by_deal" else None,
            note=f"{cpu / one_cpu:.2f}× one process; both processes' CPU over the commands they answered"))
    figures.append(figure(
        "single-event commands/s, 64 clients, 1 server process behind the same nginx", proxied_rate, "commands/s",
        note=f"{proxied_rate / one_rate:.2f}× one process direct; server CPU {_median(proxied, 'cpu_ms'):.2f} "
             f"ms/command; nginx CPU {statistics.median(proxy_cpu['one']):.2f} ms/command"))
    return figures


def _batches(url: str) -> tuple[float, float]:
    """The writer's batch-size histogram (sum, count) from the server's /metrics."""
    text = httpx.get(f"{url}/metrics", timeout=10).text
    values = dict(re.findall(r"^deals_write_batch_commands_(sum|count) (\S+)$", text, re.MULTILINE))
    return float(values.get("sum", 0)), float(values.get("count", 0))


def _average_batch(before: tuple[float, float], after: tuple[float, float]) -> float:
    count = after[1] - before[1]
    return (after[0] - before[0]) / count if count else float("nan")


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
        # The library's transaction shape; from Python threads it peaks at a few connections (they queue on the lock).
        "locked": {4: rawdb.postgres_inserts(database_url, 4, seconds, locked=True)},
        "rows_100": rawdb.postgres_inserts(database_url, 16, seconds, rows=100),
    }


def _median(results: list[Result], attribute: str, *args: float) -> float:
    return statistics.median(getattr(r, attribute)(*args) if args else getattr(r, attribute) for r in results)


def _nearest(table: dict[int, Any], clients: int) -> tuple[int, Any] | None:
    """The baseline measured at `clients` (or at the most it was measured with, for more clients)."""
    key = min(clients, max(table))
    return (key, table[key]) if key in table else None


def _figures(backend: str, runs: dict[str, dict[Any, list[Result]]], batch_sizes: dict[int, list[float]],
             library: dict[str, Any], database: dict[str, Any], rss_idle: float) -> list[dict[str, Any]]:
    figures = []
    for clients, results in runs["group"].items():
        rate = _median(results, "rate")
        p99 = _median(results, "ms", 99)
        naive = runs["naive"].get(clients)
        naive_rate = _median(naive, "rate") if naive else None
        lib = _nearest(library["single"], clients)
        db = _nearest(database["single"], clients)
        target = TARGETS.get((backend, clients))
        met, target_text = None, None
        if target:
            met = rate >= target[0] and (naive_rate is None or rate >= 4 * naive_rate)
            met = met and (target[1] is None or p99 <= target[1])
            target_text = f"≥ {target[0]:,}/s" + (f", p99 ≤ {target[1]:g} ms" if target[1] else "") + ", ≥ 4× naive"
        note = [f"{statistics.median(batch_sizes[clients]):.1f} commands per transaction",
                f"server CPU {_median(results, 'cpu_ms'):.2f} ms/command"]
        if naive:
            refused = sum(n for r in naive for status, n in r.statuses.items() if status >= 300)
            note.append(f"naive: CPU {_median(naive, 'cpu_ms'):.2f} ms/command, {refused} refused")
        if lib and lib[0] != clients:
            note.append(f"library with {lib[0]} threads")
        if db and db[0] != clients:
            note.append(f"database with {db[0]} connections")
        if backend == "postgres" and clients >= 16:
            note.append(f"INSERT with LOCK+NOTIFY, 4 connections: {database['locked'][4]:,.0f}/s")
        if len(results) > 1:
            note.append(f"median of {len(results)} [{min(r.rate for r in results):.0f}–"
                        f"{max(r.rate for r in results):.0f}]")
        framework = runs["framework"].get(clients)
        if framework:
            note.append(f"FastAPI alone: CPU {_median(framework, 'cpu_ms'):.2f} ms/request")
        figures.append(figure(
            f"single-event commands/s, {clients} clients", rate, "commands/s", library=lib and lib[1]["per_s"],
            database=db and db[1], naive=naive_rate, framework=framework and _median(framework, "rate"),
            target=target_text, met=met, note="; ".join(note)))
        if framework and clients == 16:
            ratio = _median(results, "cpu_ms") / _median(framework, "cpu_ms")
            figures.append(figure(
                "  server CPU per command as a multiple of FastAPI's per request, 16 clients", ratio, "×",
                target=f"≤ {FRAMEWORK_CPU:g}×", met=ratio <= FRAMEWORK_CPU,
                note=f"{_median(results, 'cpu_ms'):.2f} ms per command, {_median(framework, 'cpu_ms'):.2f} ms per "
                     "request to bench/framework_app.py (same route, body and answer shapes; no event store)"))
        for pct in (50, 95, 99):
            value = _median(results, "ms", pct)
            lib_ms = lib[1].get(f"p{pct}_ms") if lib else None
            limit = target[1] if target and pct == 99 else None
            figures.append(figure(
                f"  p{pct} latency, {clients} clients", value, "ms", library=lib_ms,
                naive=_median(naive, "ms", pct) if naive else None, target=f"≤ {limit:g} ms" if limit else None,
                met=(value <= limit) if limit else None))
    batch, naive_batch = runs["batch"]["group"], runs["batch"]["naive"]
    figures.append(figure(
        "batched appends (100 events/request), 16 clients", _median(batch, "rate") * 100, "events/s",
        library=library["batch_100_4_threads"]["per_s"] * 100, database=database["rows_100"],
        naive=_median(naive_batch, "rate") * 100,
        note=f"p99 {_median(batch, 'ms', 99):.0f} ms; library: 4 threads; database: 100-row INSERT transactions"))
    if runs["bare"]:
        bare = runs["bare"][16]
        figures.append(figure(
            "single-event commands/s, 16 clients, write routes only", _median(bare, "rate"), "commands/s",
            naive=_median(runs["naive"][16], "rate"),
            note=f"bench/bare_app.py: no middleware; server CPU {_median(bare, 'cpu_ms'):.2f} ms/command; "
                 f"p99 {_median(bare, 'ms', 99):.0f} ms"))
    followed, alone = runs["followed"][16], runs["group"][16]
    figures.append(figure(
        "server CPU per command, 16 clients, followers running", _median(followed, "cpu_ms"), "ms/command",
        note=f"{_median(followed, 'cpu_ms') / _median(alone, 'cpu_ms'):.2f}× without them "
             f"({_median(alone, 'cpu_ms'):.2f} ms); deal list, webhook outbox and ledger in the server process "
             f"(DEALS_RUN_BACKGROUND=true), no webhook endpoint; {_median(followed, 'rate'):,.0f} commands/s"))
    figures.append(figure("server RSS under load (16 clients)", max(r.rss_peak_mb for r in runs["group"][16]), "MB",
                          note=f"{rss_idle:.0f} MB after seeding, before load"))
    return figures
