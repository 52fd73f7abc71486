"""`deals verify` and `deals keys signing` (registered on the `deals` command by `install`)."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

console = Console(stderr=False)


def signing() -> None:
    """Print a new Ed25519 key for DEALS_LEDGER_SIGNING_KEY (it signs the log's checkpoints: keep it secret)."""
    from service.ledger.note import new_signing_key

    typer.echo(new_signing_key())


def verify(
    deal: Annotated[str | None, typer.Option("--deal", help="Only this deal's events.")] = None,
    checkpoint: Annotated[Path | None, typer.Option(
        "--checkpoint", exists=True, dir_okay=False,
        help="A checkpoint saved earlier (GET /log/checkpoint): the current log must be consistent with it.")] = None,
    key: Annotated[str | None, typer.Option(
        help="The verifier key to trust (GET /log/key); default: every key the log lists (GET /log/keys).")] = None,
) -> None:
    """Re-hash the stored log and name every deal and version that does not match it (exit 1)."""
    from service.ledger.rehash import hashing_pool
    from service.settings import get_settings

    settings = get_settings()
    # The whole log is re-hashed on every core, by workers forked before this process opens a connection.
    with hashing_pool(settings, processes=1 if deal else None) as pool:
        _verify(settings, pool, deal, checkpoint, key)


def _verify(settings, pool, deal, checkpoint, key) -> None:
    from uuid import UUID

    from service.application import DealsApplication
    from service.ledger.note import BadNote, key_id_of
    from service.ledger.proofs import consistency
    from service.ledger.rehash import rehashed
    from service.ledger.service import Ledger, LedgerOff, open_by_any
    from service.ledger.verify import Problem, verify_deal, verify_log

    try:
        ledger = Ledger(settings)
    except LedgerOff as error:
        console.print(str(error), style="red", markup=False)
        raise typer.Exit(2) from None
    # Any key the log has signed with (GET /log/keys), unless one is given: a rotation retires none of them.
    verifiers = [key] if key else [k.verifier for k in reversed(ledger.signing_keys())]
    app = DealsApplication(settings=settings)
    problems: list[Problem] = []
    failures: list[str] = []
    try:
        latest = ledger.latest()
        signed = []
        if latest is not None:
            try:
                opened, by = open_by_any(latest.note, verifiers)
                signed.append(("the latest checkpoint", opened))
                console.print(f"the latest checkpoint ({opened.tree_size} events) is signed by key {key_id_of(by)}")
            except BadNote as error:
                failures.append(f"the latest checkpoint: {error}")
        if checkpoint is not None:
            try:
                saved, by = open_by_any(checkpoint.read_text(), verifiers)
            except BadNote as error:
                console.print(f"{checkpoint}: {error}", style="red", markup=False)
                raise typer.Exit(2) from None
            console.print(f"{checkpoint} ({saved.tree_size} events) is signed by key {key_id_of(by)}")
            signed.append((str(checkpoint), saved))
            if latest is not None and saved.tree_size <= latest.tree_size:
                failures += _consistent(ledger, consistency, saved, latest, str(checkpoint))
        started = time.perf_counter()
        if deal is not None:
            report = verify_deal(app, ledger.store, UUID(deal), latest)
            problems = report.problems if report else []
            counted = 0
        else:
            head = app.recorder.max_notification_id() or 0
            with Progress(TextColumn("re-hashing"), BarColumn(), MofNCompleteColumn(), TextColumn("position"),
                          TimeElapsedColumn(), console=console, transient=True) as progress:
                task = progress.add_task("verify", total=head)
                result = verify_log(app, ledger.store, signed, lambda p: progress.update(task, completed=p),
                                    events=rehashed(app, pool))
            problems, counted = result.problems, result.events
            failures += result.failures
        seconds = time.perf_counter() - started
    finally:
        ledger.close()
        app.close()
    for problem in problems:
        typer.echo(f"deal {problem.deal_id} version {problem.version}: {problem.reason}")
    for failure in failures:
        typer.echo(failure)
    if counted:
        console.print(f"{counted:,} events re-hashed in {seconds:.2f} s ({counted / max(seconds, 1e-9):,.0f}/s)")
    if problems or failures:
        console.print(f"NOT INTACT: {len(problems)} event(s) do not match the log", style="red")
        raise typer.Exit(1)
    console.print("intact", style="green")


def _consistent(ledger, consistency, saved, latest, name: str) -> list[str]:
    from service.ledger.merkle import verify_consistency
    from service.ledger.proofs import ProofRefused

    try:
        proof = consistency(ledger.store, saved.tree_size, latest.tree_size)
    except (ProofRefused, LookupError) as error:
        return [f"{name}: no consistency proof to the latest checkpoint: {error}"]
    if not verify_consistency(saved.tree_size, latest.tree_size, saved.root, latest.root, proof):
        return [f"{name}: the latest checkpoint ({latest.tree_size} events) is not consistent with it"]
    return []


def install(app: typer.Typer, keys_app: typer.Typer) -> None:
    app.command("verify")(verify)
    keys_app.command("signing")(signing)
