"""Group commit on SQLite and PostgreSQL: concurrent commands are stored exactly once, in contiguous versions, and
commands that arrive together share one transaction."""

from __future__ import annotations

import gc
from collections.abc import Iterator

import pytest

from service.application import DealsApplication
from service.settings import Settings
from service.write.errors import StaleVersion, WriteConflict
from service.write.jobs import RecordJob
from service.write.results import Recorded
from service.write.writer import WriteNotAttempted
from tests.writer.helpers import (
    SaveSpy,
    Statements,
    in_threads,
    open_deals,
    queued_at_least,
    started,
    stored_statements,
    writer_held,
)


@pytest.fixture
def app(settings: Settings) -> Iterator[DealsApplication]:
    application = DealsApplication(settings=settings)
    yield application
    application.close()


def test_concurrent_commands_on_many_deals_are_each_stored_once(app: DealsApplication) -> None:
    deals = open_deals(app, 6)
    said = Statements()
    jobs = [(deals[i % len(deals)], said.command()) for i in range(96)]

    results = in_threads([lambda d=d, c=c: app.record(d, [c]) for d, c in jobs])

    assert all(isinstance(r, Recorded) for r in results), results
    for deal_id in deals:
        stored = stored_statements(app, deal_id)
        assert sorted(stored) == sorted(c.statement_id for d, c in jobs if d == deal_id)
    for (deal_id, command), recorded in zip(jobs, results, strict=True):
        event = recorded.recordings[0].domain_event
        assert (event.originator_id, event.statement_id) == (deal_id, command.statement_id)
        assert event.originator_version == recorded.version
    assert set(said.runs.values()) == {1}  # one process, no conflict: every command was decided once


def test_concurrent_commands_on_one_deal_all_apply_in_contiguous_versions(app: DealsApplication) -> None:
    [deal_id] = open_deals(app, 1)
    said = Statements()
    commands = [said.command() for _ in range(48)]

    results = in_threads([lambda c=c: app.record(deal_id, [c]) for c in commands])

    assert sorted(r.version for r in results) == list(range(4, 4 + len(commands)))
    by_version = {r.version: r.recordings[0].domain_event.statement_id for r in results}
    assert stored_statements(app, deal_id) == [by_version[v] for v in sorted(by_version)]


def test_concurrent_if_match_on_one_deal_accepts_exactly_one(app: DealsApplication) -> None:
    [deal_id] = open_deals(app, 1)
    said = Statements()

    results = in_threads([lambda: app.record(deal_id, [said.command()], expected_version=3) for _ in range(16)])

    accepted = [r for r in results if isinstance(r, Recorded)]
    refused = [r for r in results if not isinstance(r, Recorded)]
    assert len(accepted) == 1 and accepted[0].version == 4
    assert all(isinstance(r, StaleVersion) and r.current == 4 for r in refused), refused
    assert len(stored_statements(app, deal_id)) == 1


def test_commands_that_arrive_together_are_saved_in_one_transaction(app: DealsApplication) -> None:
    gate, *deals = open_deals(app, 11)
    said = Statements()
    spy = SaveSpy(app)

    with writer_held(app, gate, queued=len(deals)):
        outcomes = started([lambda d=d: app.record(d, [said.command()]) for d in deals])

    assert all(isinstance(r, Recorded) for r in outcomes())
    assert spy.calls == [1, len(deals)]  # the held command alone, then all ten together
    positions = sorted(r.position for r in outcomes())
    assert positions == list(range(positions[0], positions[0] + len(deals)))


def test_two_commands_on_the_same_deal_in_one_batch_both_apply_in_order(app: DealsApplication) -> None:
    gate, deal_id, other = open_deals(app, 3)
    said = Statements()
    first, second = said.command("first"), said.command("second")
    spy = SaveSpy(app)

    with writer_held(app, gate, queued=3):
        waits = []
        for deal, command in ((deal_id, first), (other, said.command()), (deal_id, second)):
            waits.append(started([lambda d=deal, c=command: app.record(d, [c])]))
            queued_at_least(app, len(waits))

    assert [wait()[0].version for wait in waits] == [4, 4, 5]
    assert stored_statements(app, deal_id) == ["first", "second"]
    assert spy.calls == [1, 2, 1]  # the second command on the deal waited for the next transaction


def test_a_refused_command_leaves_its_batch_and_its_deal_untouched(app: DealsApplication) -> None:
    gate, deal_id, other = open_deals(app, 3)
    said = Statements()
    ok = said.command()
    twice = said.command("again")

    with writer_held(app, gate, queued=2):
        # Two events in one request, the second refused: neither may be stored.
        outcomes = started([lambda: app.record(deal_id, [twice, said.command("again")]),
                            lambda: app.record(other, [ok])])

    refused, accepted = outcomes()
    assert type(refused).__name__ == "AlreadyDone"
    assert isinstance(accepted, Recorded) and accepted.version == 4
    assert stored_statements(app, deal_id) == []
    assert app.record(deal_id, [said.command()]).version == 4  # the writer's copy of the deal was not left dirty


def test_naive_write_mode_gives_the_same_answers(settings: Settings) -> None:
    app = DealsApplication(settings=settings.model_copy(update={"write_mode": "naive"}))
    try:
        [deal_id] = open_deals(app, 1)
        said = Statements()
        assert app.record(deal_id, [said.command()], expected_version=3).version == 4
        with pytest.raises(StaleVersion):
            app.record(deal_id, [said.command()], expected_version=3)
        results = in_threads([lambda: app.record(deal_id, [said.command()]) for _ in range(8)])
        accepted = [r for r in results if isinstance(r, Recorded)]
        assert all(isinstance(r, Recorded | WriteConflict) for r in results), results  # lost races are told so
        assert sorted(r.version for r in accepted) == list(range(5, 5 + len(accepted)))
        assert len(stored_statements(app, deal_id)) == 1 + len(accepted)
        # One write path: naive mode is the same writer, deciding each command alone on the stored deal.
        assert (app.writer.batch_max, app.writer.cache.enabled, app.writer.cache.versions([deal_id])) == (1, False, {})
    finally:
        app.close()


def test_snapshots_are_taken_from_memory_and_serve_reads_at_any_version(settings: Settings) -> None:
    app = DealsApplication(settings=settings.model_copy(update={"snapshot_interval": 5}))
    try:
        [deal_id] = open_deals(app, 1)  # versions 1-3
        said = Statements()
        app.record(deal_id, [said.command(), said.command(), said.command()])  # 4-6: crosses 5
        app.record(deal_id, [said.command() for _ in range(6)])  # 7-12: crosses 10

        app.record(deal_id, [said.command()])  # the writer stores a batch's snapshots after answering it
        snapshots = [s.originator_version for s in app.snapshots.get(deal_id)]  # type: ignore[union-attr]
        assert snapshots == [6, 12]
        for version in (4, 5, 6, 9, 12):
            assert len(app.get_deal(deal_id, version=version).statements) == version - 3
        assert app.get_deal(deal_id).version == 13
    finally:
        app.close()


def test_an_application_dropped_without_close_stops_its_writer(settings: Settings) -> None:
    app = DealsApplication(settings=settings)
    [deal_id] = open_deals(app, 1)
    app.record(deal_id, [Statements().command()])
    writer = app.writer.thread

    del app
    gc.collect()
    writer.join(10)

    assert not writer.is_alive()  # and its connections went with the application


def test_stopping_the_writer_answers_every_caller(app: DealsApplication) -> None:
    [deal_id] = open_deals(app, 1)
    said = Statements()
    writer = app.writer

    outcomes = started([lambda: writer.submit(RecordJob(deal_id, commands=[said.command()])) for _ in range(24)])
    writer.stop()
    results = outcomes()

    accepted = [r for r in results if isinstance(r, Recorded)]
    assert all(isinstance(r, Recorded) or "closed" in str(r) for r in results), results
    assert len(stored_statements(app, deal_id)) == len(accepted)


def test_a_write_queued_behind_a_stuck_writer_is_withdrawn_unwritten_and_refused_as_unavailable(
    settings: Settings,
) -> None:
    app = DealsApplication(settings=settings.model_copy(update={"write_queue_timeout": 0.3}))
    try:
        held, waiting = open_deals(app, 2)
        said = Statements()
        late = said.command()

        with writer_held(app, held, queued=1):  # the withdrawn job stays queued until the writer drops it
            outcome = in_threads([lambda: app.record(waiting, [late])])[0]

        assert isinstance(outcome, WriteNotAttempted)
        assert said.runs[late.statement_id] == 0  # type: ignore[attr-defined]
        assert late.statement_id not in stored_statements(app, waiting)  # type: ignore[attr-defined]
        assert isinstance(app.record(waiting, [said.command()]), Recorded)  # the writer carries on afterwards
    finally:
        app.close()
