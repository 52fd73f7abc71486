"""`deals projections rebuild|status`: rebuild the deal list from the log, and see how far projections lag."""

from __future__ import annotations

import time
from typing import Annotated

import typer
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

projections_app = typer.Typer(help="Read models kept from the event log.", no_args_is_help=True)
console = Console()


def position_bar(label: str) -> Progress:
    """A progress bar over the log's positions, up to its head."""
    return Progress(TextColumn(label), BarColumn(), MofNCompleteColumn(), TextColumn("position"), TimeElapsedColumn(),
                    console=console)


@projections_app.command("rebuild")
def rebuild_command(
    page: Annotated[int, typer.Option(min=100, max=100_000, help="Events read and written per transaction.")] = 5_000,
    skip_position: Annotated[list[int] | None, typer.Option(
        "--skip-position", min=1, metavar="POSITION",
        help="Leave out of the list the deal of the event at this position (one the list cannot project: /readyz "
             "names it); recorded, shown by `projections status`. Repeat for several.")] = None,
) -> None:
    """Rebuild the deal list from the whole log; safe while the service runs (shadow tables, then a swap)."""
    from service.application import DealsApplication
    from service.projections.deal_list import close_view, open_view
    from service.projections.deal_list_batch import rebuild, skip_deals_at
    from service.settings import get_settings

    settings = get_settings()
    app = DealsApplication(settings=settings)
    view = open_view(settings)
    try:
        try:
            skips = skip_deals_at(app, view, skip_position or ())
        except ValueError as error:
            console.print(f"[red]{error}[/red]")
            raise typer.Exit(2) from None
        for skip in skips:
            console.print(f"leaving deal {skip.deal_id} out of the list (its event at position {skip.position})")
        head = app.recorder.max_notification_id() or 0
        counted = 0
        started = time.perf_counter()
        with position_bar("deal list") as progress:
            task = progress.add_task("rebuild", total=head)

            def advance(events: int, position: int) -> None:
                nonlocal counted
                counted += events
                progress.update(task, completed=position, total=max(head, position))

            try:
                position = rebuild(app, view, page=page, progress=advance)
            except Exception as error:
                console.print(f"[red]the rebuild failed (nothing live was changed): {type(error).__name__}: "
                              f"{error}[/red]\nIf one event cannot be projected, /readyz (or the log) names its "
                              "position: rebuild again with --skip-position <position> to leave its deal out.")
                raise typer.Exit(1) from None
        seconds = time.perf_counter() - started
        deals = len(view.rows())
        rate = counted / seconds if seconds else 0.0
        console.print(f"rebuilt the deal list: {counted:,} events, {deals:,} deals, position {position:,}, "
                      f"{seconds:.2f} s ({rate:,.0f} events/s)")
    finally:
        close_view(view)
        app.close()


@projections_app.command("status")
def status_command() -> None:
    """Each projection's position, the log's head, and its lag in events and seconds."""
    from service.application import DealsApplication
    from service.projections.deal_list import close_view, open_view
    from service.projections.lag import lags
    from service.settings import get_settings

    settings = get_settings()
    app = DealsApplication(settings=settings)
    view = open_view(settings)
    try:
        table = Table(title="Projections")
        for column in ("projection", "position", "head", "lag (events)", "lag (s)"):
            table.add_column(column, justify="left" if column == "projection" else "right")
        for lag in lags(app, settings):
            table.add_row(lag.name, f"{lag.position:,}", f"{lag.head:,}", f"{lag.lag_events:,}", f"{lag.lag_seconds:g}")
        console.print(table)
        skips = view.skips()
        if skips:
            left_out = Table(title="Deals left out of the deal list")
            left_out.add_column("deal", no_wrap=True)
            for column in ("position", "since", "reason"):
                left_out.add_column(column)
            for skip in skips:
                left_out.add_row(str(skip.deal_id), f"{skip.position:,}", skip.skipped_at.isoformat(timespec="seconds"),
                                 skip.reason)
            console.print(left_out)
    finally:
        close_view(view)
        app.close()
