"""Builders for the writer tests: deals, counted commands, and a gate that holds the writer thread."""

from __future__ import annotations

import threading
import time
import uuid
from collections import Counter
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from typing import Any

from domain import Deal
from domain.commands import Command, RecordStatement
from domain.values import Party, PartyKind, Role, Speaker, Stance
from service.application import DealsApplication
from tests.commands import opening

NOW = datetime(2025, 2, 12, 9, 0, tzinfo=UTC)
PARTIES = [Party("US", "United States", PartyKind.STATE, (Role.PROPOSER,)),
           Party("UA", "Ukraine", PartyKind.STATE, (Role.COUNTERPARTY,))]


def open_deals(app: DealsApplication, count: int) -> list[uuid.UUID]:
    return [app.open_deal(*opening(uuid.uuid4(), "Deal", NOW, parties=PARTIES)).deal_id for _ in range(count)]


# How often a deal decided each statement, by its id, and the statements a deal waits on before deciding them.
DECIDED: Counter[str] = Counter()
GATES: dict[str, tuple[threading.Event, threading.Event]] = {}


def watching(handle: Callable[[Deal, Command], None]) -> Callable[[Deal, Command], None]:
    """Deal.handle, counting the statements decided and holding those gated (installed by conftest.py)."""

    def watched(deal: Deal, command: Command) -> None:
        if isinstance(command, RecordStatement):
            entered, release = GATES.get(command.statement_id, (None, None))
            if entered is not None and release is not None:
                entered.set()
                release.wait(10)
            DECIDED[command.statement_id] += 1
        handle(deal, command)

    return watched


class Statements:
    """Statement commands with unique ids, counting how often the writer decided each one."""

    def __init__(self) -> None:
        self.ids: set[str] = set()

    @property
    def runs(self) -> Counter[str]:
        return Counter({statement_id: DECIDED[statement_id] for statement_id in self.ids})

    def command(self, statement_id: str | None = None) -> RecordStatement:
        statement_id = statement_id or uuid.uuid4().hex[:12]
        self.ids.add(statement_id)
        return said(statement_id, "Tester", "quote")


def said(statement_id: str, name: str, quote: str) -> RecordStatement:
    return RecordStatement(statement_id=statement_id, speaker=Speaker(name=name), quote=quote, stance=Stance.NEUTRAL,
                           occurred_at=NOW)


def stored_statements(app: DealsApplication, deal_id: uuid.UUID) -> list[str]:
    """The statement ids in the deal's stored log, in order; also checks that its versions are 1, 2, 3 …"""
    events = app.deal_events(deal_id)
    assert [e.originator_version for e in events] == list(range(1, len(events) + 1))
    return [e.statement_id for e in events if type(e).__name__ == "StatementRecorded"]  # type: ignore[attr-defined]


class SaveSpy:
    """Counts the application's save() calls and the events each one carried."""

    def __init__(self, app: DealsApplication) -> None:
        self.calls: list[int] = []
        original = app.save

        def save(*objs: Any, **kwargs: Any) -> Any:
            self.calls.append(len(objs))
            return original(*objs, **kwargs)

        app.save = save  # type: ignore[method-assign]


@contextmanager
def writer_held(app: DealsApplication, deal_id: uuid.UUID, queued: int) -> Iterator[None]:
    """Hold the writer thread inside a command on `deal_id` until `queued` more jobs wait in its queue, so that
    the jobs submitted inside the block are taken as one batch when it is released."""
    entered, release = threading.Event(), threading.Event()
    hold = said(uuid.uuid4().hex[:12], "Gate", "hold")
    GATES[hold.statement_id] = (entered, release)
    holder = threading.Thread(target=app.record, args=(deal_id, [hold]))
    holder.start()
    assert entered.wait(10)
    try:
        yield
        queued_at_least(app, queued)
        assert app.writer.queue.qsize() == queued
    finally:
        release.set()
        holder.join(10)


def queued_at_least(app: DealsApplication, count: int) -> None:
    """Wait (10 s at most) until `count` jobs wait in the writer's queue."""
    deadline = time.monotonic() + 10
    while app.writer.queue.qsize() < count and time.monotonic() < deadline:
        time.sleep(0.002)


def in_threads(calls: list[Callable[[], Any]]) -> list[Any]:
    """Run each call in its own thread; the result or the exception of each, in order."""
    return started(calls)()


def started(calls: list[Callable[[], Any]]) -> Callable[[], list[Any]]:
    """Start the calls in threads now; the returned function waits for them and gives their outcomes."""
    results: list[Any] = [None] * len(calls)

    def run(index: int) -> None:
        try:
            results[index] = calls[index]()
        except Exception as error:
            results[index] = error

    threads = [threading.Thread(target=run, args=(i,)) for i in range(len(calls))]
    for thread in threads:
        thread.start()
    return lambda: _joined(threads, results)


def _joined(threads: list[threading.Thread], results: list[Any]) -> list[Any]:
    for thread in threads:
        thread.join(60)
    return results
