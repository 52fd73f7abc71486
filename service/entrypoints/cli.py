"""The `deals` command: serve the API, record the demo story, replay a deal."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated, Any

import httpx
import typer
from rich.console import Console
from rich.table import Table

from service import __version__
from service.entrypoints.worker_health import DEFAULT_HEARTBEAT, worker_check
from service.ledger.cli import install as install_ledger
from service.observability.logs import logging_config
from service.projections.cli import projections_app
from service.replay.feed_cli import feed_app
from service.security.cli import app as keys_app
from service.settings import SettingsError

# Plain (click) help: no `<bool>` metavars on flags, and the same text on a terminal or in a pipe.
app = typer.Typer(help="Track deals under negotiation and keep their whole history.", no_args_is_help=True,
                  rich_markup_mode=None)
app.add_typer(keys_app, name="keys")
app.add_typer(projections_app, name="projections")
app.add_typer(feed_app, name="feed")
install_ledger(app, keys_app)  # `deals verify`, `deals keys signing`
console = Console()
LOG_LEVELS = ("critical", "error", "warning", "info", "debug", "trace")


def _print_version(asked: bool) -> None:
    if asked:
        typer.echo(f"deals {__version__}")
        raise typer.Exit()


@app.callback()
def _options(
    version: Annotated[bool, typer.Option("--version", callback=_print_version, is_eager=True,
                                          help="Print the program's version and exit.")] = False,
) -> None:
    """Track deals under negotiation and keep their whole history."""


def _log_level(value: str) -> str:
    if value.lower() not in LOG_LEVELS:
        typer.echo(f"deals serve: --log-level {value!r} is not one of {', '.join(LOG_LEVELS)}", err=True)
        raise typer.Exit(2)
    return value.lower()


@app.command()
def serve(
    host: Annotated[str, typer.Option(help="Address to bind.")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="Port to bind.")] = 8000,
    workers: Annotated[int, typer.Option(help="Worker processes.")] = 1,
    log_level: Annotated[str, typer.Option(callback=_log_level, help=f"Log level: {', '.join(LOG_LEVELS)}.")] = "info",
) -> None:
    """Serve the HTTP API (SQLite by default; set DEALS_DATABASE_URL for PostgreSQL)."""
    import os

    import uvicorn

    from service.settings import get_settings

    # a long-running server (service/write/runtime.py); workers inherit it
    os.environ.setdefault("DEALS_GC_TUNING", "true")
    if workers > 1:
        _metrics_shared_by_workers()
    settings = get_settings()
    _refuse_open_bind(host, settings)
    backend = "PostgreSQL" if settings.is_postgres else f"SQLite ({settings.sqlite_path})"
    # One line, never wrapped: a log collector or a pipe gets it whole.
    console.print(f"Deals API on http://{host}:{port}  (docs: http://{host}:{port}/docs, storage: {backend})",
                  soft_wrap=True, markup=False, highlight=False)
    uvicorn.run("service.api.main:create_app", factory=True, host=host, port=port, workers=workers,
                log_level=log_level, log_config=logging_config(log_level, settings.log_format), access_log=False)


def _metrics_shared_by_workers() -> None:
    """Several workers: each writes its counters to files in PROMETHEUS_MULTIPROC_DIR (a fresh directory unless
    set; emptied at start, as prometheus-client requires) and /metrics, from any worker, adds them all up."""
    import os
    import shutil
    import tempfile
    from pathlib import Path

    chosen = os.environ.get("PROMETHEUS_MULTIPROC_DIR")
    directory = Path(chosen) if chosen else Path(tempfile.mkdtemp(prefix="deals-metrics-"))
    if chosen and directory.exists():
        for entry in directory.glob("*.db"):
            entry.unlink()
    directory.mkdir(parents=True, exist_ok=True)
    os.environ["PROMETHEUS_MULTIPROC_DIR"] = str(directory)
    if not chosen:
        import atexit

        atexit.register(shutil.rmtree, directory, True)


def _refuse_open_bind(host: str, settings: Any) -> None:
    """No keys is fine on loopback (said out loud); anywhere else it would expose every deal, so refuse."""
    from service.security.install import load_keyring
    from service.security.keys import KeyConfigError, open_bind_refusal

    try:
        keyring = load_keyring(settings)
    except KeyConfigError as error:
        console.print(f"API keys: {error}", style="red", markup=False)
        raise typer.Exit(2) from None
    refusal = open_bind_refusal(host, keyring)
    if refusal:
        console.print(refusal, style="red", markup=False)
        raise typer.Exit(2)
    # An open API on loopback is said once, by the app's own warning log line (service/security/install.py).


@app.command()
def worker(
    check: Annotated[bool, typer.Option("--check", help="Exit 0 if a worker here is healthy: its database answers "
                                        "and its heartbeat is recent (a container healthcheck); else say why, exit 1.")
                     ] = False,
    heartbeat_file: Annotated[Path, typer.Option(help="File the worker touches every few seconds while it runs.")
                              ] = DEFAULT_HEARTBEAT,
) -> None:
    """Run the background work (projections, webhook delivery) in this process until interrupted."""
    import signal
    import threading

    from service.bootstrap import Background
    from service.entrypoints.worker_health import HEARTBEAT_SECONDS, beat
    from service.settings import get_settings

    if check:
        problem = worker_check(get_settings(), heartbeat_file)
        typer.echo(problem or "worker healthy", err=bool(problem))
        raise typer.Exit(1 if problem else 0)
    stopping = threading.Event()
    for sig in (signal.SIGINT, signal.SIGTERM):
        signal.signal(sig, lambda *_: stopping.set())
    background = Background(get_settings())
    background.start()
    console.print(f"worker running {len(background.running)} components; Ctrl-C to stop")
    try:
        while not stopping.is_set():
            beat(heartbeat_file)
            stopping.wait(HEARTBEAT_SECONDS)
    finally:
        background.stop()
        heartbeat_file.unlink(missing_ok=True)


@app.command()
def demo(
    url: Annotated[str | None, typer.Option(help="Post to a running server instead of in-process.")] = None,
    database: Annotated[str | None, typer.Option(
        help="In-process: record into this database URL (default: a throwaway SQLite file).")] = None,
    verbose: Annotated[bool, typer.Option("--verbose", help="Log everything (on stderr), not only warnings.")] = False,
) -> None:
    """Record the Munich minerals story through the API, then print its timeline and final state.

    Only the story goes to stdout; logs go to stderr."""
    from service.entrypoints.demo import record_story

    with _client(url, database, verbose) as client:
        deal_id = record_story(client)
        deal = client.get(f"/deals/{deal_id}").json()
        events = client.get(f"/deals/{deal_id}/events", params={"limit": 1000}).json()["items"]
    print_timeline(events)
    print_state(deal)


@app.command()
def replay(
    deal_id: Annotated[str, typer.Argument(metavar="DEAL_ID", help="The deal's id.")],
    at_version: Annotated[int | None, typer.Option(min=1, help="The deal after its Nth event.")] = None,
    as_of: Annotated[str | None, typer.Option(help="As it stood in the world then (ISO time with offset).")] = None,
    known_at: Annotated[str | None, typer.Option(help="As the service knew it then (ISO time with offset).")] = None,
) -> None:
    """Print a deal's timeline and state, now or at a version or time, from the configured database."""
    from uuid import UUID

    from domain.errors import DomainError
    from service.application import DealsApplication
    from service.replay.report import parse_time, replay_report
    from service.settings import get_settings

    try:
        deal_uuid = UUID(deal_id)
    except ValueError:
        typer.echo(f"deals replay: {deal_id!r} is not a deal id; deal ids are UUIDs, as `POST /deals` and "
                   "`GET /deals` show them (e.g. 3f2b8c1e-5d4a-4e6f-9a7b-1c2d3e4f5a6b)", err=True)
        raise typer.Exit(2) from None
    deals = DealsApplication(settings=get_settings())
    try:
        report = replay_report(deals, deal_uuid, at_version, parse_time(as_of, "--as-of"),
                               parse_time(known_at, "--known-at"))
    except (DomainError, ValueError) as error:
        console.print(f"[red]{getattr(error, 'message', error)}[/red]")
        raise typer.Exit(1) from None
    finally:
        deals.close()
    print_timeline(report.events)
    if report.skipped:
        console.print(f"not applied (they refer to something not yet in view): versions {report.skipped}")
    print_state(report.deal)


def _client(url: str | None, database: str | None, verbose: bool) -> Any:
    if url:
        return httpx.Client(base_url=url, timeout=30)
    from service.entrypoints.demo_server import served_in_process
    from service.settings import get_settings

    return served_in_process(database, verbose, get_settings().log_format)


def print_timeline(events: list[dict[str, Any]]) -> None:
    table = Table(title="Timeline", show_lines=False)
    for column in ("v", "occurred", "event", "details"):
        table.add_column(column)
    for e in events:
        table.add_row(str(e["version"]), e["occurred_at"][:16], e["type"], _describe(e["data"]))
    console.print(table)


def _describe(data: dict[str, Any]) -> str:
    keys = ("title", "name", "by_party", "tendered_by", "raised_by", "authorizer", "quote", "text", "summary",
            "reason_text", "venue")
    parts = [f"{k}={data[k]}" for k in keys if data.get(k)]
    if isinstance(data.get("speaker"), dict):
        speaker = data["speaker"]
        parts.insert(0, f"speaker={speaker.get('name') or speaker.get('title')}")
    return "; ".join(parts)[:110]


def print_state(deal: dict[str, Any]) -> None:
    awaiting = deal["awaiting"]
    console.print(f"[bold]{deal['title']}[/bold]  deal {deal['deal_id']}  version {deal['version']}")
    console.print(f"status: [bold]{deal['status']}[/bold]")
    console.print(f"ball with: {', '.join(awaiting['party_ids']) or 'nobody'} since {awaiting['since']} "
                  f"({awaiting['reason']})")
    console.print(f"open conditions: {', '.join(deal['open_conditions']) or 'none'}")


def main() -> None:
    try:
        app()
    except SettingsError as error:
        typer.echo(f"deals: bad settings (environment or .env):\n{error}", err=True)
        sys.exit(2)


if __name__ == "__main__":
    main()
