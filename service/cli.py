"""The `deals` command: serve the API, record the demo story, replay a deal."""

from __future__ import annotations

from typing import Annotated, Any

import httpx
import typer
from rich.console import Console
from rich.table import Table

from service.ledger.cli import install as install_ledger
from service.observability.logs import logging_config
from service.projections.cli import projections_app
from service.replay.feed_cli import feed_app
from service.security.cli import app as keys_app

app = typer.Typer(help="Track deals under negotiation and keep their whole history.", no_args_is_help=True)
app.add_typer(keys_app, name="keys")
app.add_typer(projections_app, name="projections")
app.add_typer(feed_app, name="feed")
install_ledger(app, keys_app)  # `deals verify`, `deals keys signing`
console = Console()


@app.command()
def serve(
    host: Annotated[str, typer.Option(help="Address to bind.")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="Port to bind.")] = 8000,
    workers: Annotated[int, typer.Option(help="Worker processes.")] = 1,
    log_level: Annotated[str, typer.Option(help="uvicorn log level.")] = "info",
) -> None:
    """Serve the HTTP API (SQLite by default; set DEALS_DATABASE_URL for PostgreSQL)."""
    import os

    import uvicorn

    from service.settings import get_settings

    os.environ.setdefault("DEALS_GC_TUNING", "true")  # a long-running server (service/runtime.py); workers inherit it
    settings = get_settings()
    _refuse_open_bind(host, settings)
    backend = "PostgreSQL" if settings.is_postgres else f"SQLite ({settings.sqlite_path})"
    console.print(f"Deals API on http://{host}:{port}  (docs: http://{host}:{port}/docs, storage: {backend})")
    uvicorn.run("service.api.main:create_app", factory=True, host=host, port=port, workers=workers,
                log_level=log_level, log_config=logging_config(log_level), access_log=False)


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
    if not keyring.enforced:
        console.print("No API keys configured: the API is OPEN, which is allowed on loopback only.", style="yellow")


@app.command()
def worker() -> None:
    """Run the background work (projections, webhook delivery) in this process until interrupted."""
    import signal
    import threading

    from service.background import Background
    from service.settings import get_settings

    stopping = threading.Event()
    for sig in (signal.SIGINT, signal.SIGTERM):
        signal.signal(sig, lambda *_: stopping.set())
    background = Background(get_settings())
    background.start()
    console.print(f"worker running {len(background.running)} components; Ctrl-C to stop")
    try:
        stopping.wait()
    finally:
        background.stop()


@app.command()
def demo(
    url: Annotated[str | None, typer.Option(help="Post to a running server instead of in-process.")] = None,
) -> None:
    """Record the Munich minerals story through the API, then print its timeline and final state."""
    from service.demo import record_story

    with _client(url) as client:
        deal_id = record_story(client)
        deal = client.get(f"/deals/{deal_id}").json()
        events = client.get(f"/deals/{deal_id}/events", params={"limit": 1000}).json()["items"]
    print_timeline(events)
    print_state(deal)


@app.command()
def replay(
    deal_id: Annotated[str, typer.Argument(help="The deal's id.")],
    version: Annotated[int | None, typer.Option(min=1, help="The deal after its Nth event.")] = None,
    as_of: Annotated[str | None, typer.Option(help="As it stood in the world then (ISO time with offset).")] = None,
    known_at: Annotated[str | None, typer.Option(help="As the service knew it then (ISO time with offset).")] = None,
) -> None:
    """Print a deal's timeline and state, now or at a version or time, from the configured database."""
    from uuid import UUID

    from domain.errors import DomainError
    from service.app import DealsApplication
    from service.replay.report import parse_time, replay_report
    from service.settings import get_settings

    deals = DealsApplication(settings=get_settings())
    try:
        report = replay_report(deals, UUID(deal_id), version, parse_time(as_of, "--as-of"),
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


def _client(url: str | None) -> Any:
    if url:
        return httpx.Client(base_url=url, timeout=30)
    from fastapi.testclient import TestClient

    from service.api.main import create_app

    return TestClient(create_app())


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
    app()


if __name__ == "__main__":
    main()
