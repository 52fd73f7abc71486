"""`deals feed backfill`: store the feed JSON of events recorded without it (replay/feed.py)."""

from __future__ import annotations

import time
from typing import Annotated

import typer
from rich.console import Console

from service.projections.cli import position_bar

feed_app = typer.Typer(help="The global feed of events (GET /events).", no_args_is_help=True,
                       rich_markup_mode=None)
console = Console()


@feed_app.command("backfill")
def backfill_command(
    page: Annotated[int, typer.Option(min=100, max=100_000, help="Events read and written per transaction.")] = 5_000,
) -> None:
    """Store each event's feed JSON where it is missing or stale (events recorded before an upgrade that changed
    their JSON); until then the feed decodes those events one by one. Safe while the service runs."""
    from service.application import DealsApplication
    from service.replay.feed import backfill
    from service.settings import get_settings

    app = DealsApplication(settings=get_settings())
    try:
        head = app.recorder.max_notification_id() or 0
        started = time.perf_counter()
        with position_bar("feed JSON") as progress:
            task = progress.add_task("backfill", total=head)
            try:
                stored = backfill(app, lambda position, _: progress.update(task, completed=position), page=page)
            except ValueError as error:
                console.print(f"[red]{error}[/red]")
                raise typer.Exit(2) from None
        console.print(f"stored the feed JSON of {stored:,} events in {time.perf_counter() - started:.2f} s")
    finally:
        app.close()
