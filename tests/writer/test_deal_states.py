"""One fold of a deal per process: the writer puts the deals it commits, the followers read them at the event they
are at, and an event the writer did not leave a state for is folded once, whichever follower comes first."""

from __future__ import annotations

import uuid
from collections.abc import Iterator

import pytest

from domain import Deal, DealEvent
from domain.commands import RecordStatement
from service.application import DealsApplication
from service.settings import Settings
from service.write.deal_states import DealStates, Following
from tests.commands import opening
from tests.writer.helpers import NOW, PARTIES, Statements


@pytest.fixture
def app(settings: Settings) -> Iterator[DealsApplication]:
    application = DealsApplication(settings=settings)
    yield application
    application.close()


def logged_events(app: DealsApplication) -> list[DealEvent]:
    return [app.domain_event(n) for n in app.recorder.select_notifications(start=1, limit=10_000)]


def statements(said: Statements, count: int) -> list[RecordStatement]:
    return [said.command() for _ in range(count)]


def same(one: Deal, other: Deal) -> bool:
    return {k: v for k, v in vars(one).items() if k != "_pending_events"} == {
        k: v for k, v in vars(other).items() if k != "_pending_events"}


def follow(followers: list[Following], events: list[DealEvent], app: DealsApplication) -> None:
    for event in events:
        for follower in followers:
            after = follower.after(event)
            assert after.version == event.originator_version
            assert same(after, app.get_deal(event.originator_id, version=event.originator_version))


def test_followers_in_the_writers_process_fold_only_what_the_writer_did_not_commit_alone(
    app: DealsApplication,
) -> None:
    said = Statements()
    followers = [Following().attach(app), Following().attach(app)]  # the deal list and the webhook outbox
    seen = 0

    def keep_up() -> None:
        nonlocal seen
        events = logged_events(app)
        follow(followers, events[seen:], app)
        seen = len(events)

    deal_id = app.open_deal(*opening(uuid.uuid4(), "Deal", NOW, parties=PARTIES)).deal_id  # versions 1–3
    keep_up()
    for _ in range(4):
        app.record(deal_id, [said.command()])  # one event each: versions 4–7
        keep_up()
    app.record(deal_id, statements(said, 3))  # versions 8–10, committed together
    keep_up()

    # Folded once each, for both followers: the states before the writer's last of a command (versions 1, 2, 8, 9);
    # every other state is the one the writer committed. Nothing was read back from the store.
    assert (app.deal_states.folds, app.deal_states.loads) == (4, 0)


def test_followers_far_behind_the_writer_fold_each_event_at_most_once_and_read_nothing(
    app: DealsApplication,
) -> None:
    said = Statements()
    deal_id = app.open_deal(*opening(uuid.uuid4(), "Deal", NOW, parties=PARTIES)).deal_id
    for _ in range(12):
        app.record(deal_id, [said.command()])  # versions 4–15: far more than a deal keeps

    follow([Following().attach(app), Following().attach(app)], logged_events(app), app)

    assert app.deal_states.folds <= 15 and app.deal_states.loads == 0


def test_every_application_on_a_database_in_a_process_shares_its_deal_states(settings: Settings) -> None:
    writing, following = DealsApplication(settings=settings), DealsApplication(settings=settings)
    try:
        assert writing.deal_states is following.deal_states
        deal_id = writing.open_deal(*opening(uuid.uuid4(), "Deal", NOW)).deal_id
        assert (kept := following.deal_states.latest(deal_id)) is not None and kept.version == 1
    finally:
        following.close()
        writing.close()
    again = DealsApplication(settings=settings)  # the last holder closed: a fresh start
    try:
        assert again.deal_states is not writing.deal_states and len(again.deal_states) == 0
    finally:
        again.close()


def test_a_worker_process_folds_each_event_once_for_all_its_followers(app: DealsApplication,
                                                                    settings: Settings) -> None:
    said = Statements()
    deal_id = app.open_deal(*opening(uuid.uuid4(), "Deal", NOW, parties=PARTIES)).deal_id
    app.record(deal_id, statements(said, 2))
    worker = DealsApplication(settings=settings, deal_states=DealStates(100))  # another process: nothing kept
    try:
        follow([Following().attach(worker), Following().attach(worker)], logged_events(app), worker)
        assert (worker.deal_states.folds, worker.deal_states.loads) == (5, 0)
        # A worker that starts behind the log's head reads the deal once at the event it starts from.
        late = DealStates(100)
        event = logged_events(app)[-1]
        assert late.after(event, lambda d, v: worker.get_deal(d, version=v)).version == 5
        assert (late.folds, late.loads) == (0, 1)
    finally:
        worker.close()


def test_the_writer_decides_on_a_copy_so_a_state_a_follower_holds_never_changes(app: DealsApplication) -> None:
    said = Statements()
    deal_id = app.open_deal(*opening(uuid.uuid4(), "Deal", NOW, parties=PARTIES)).deal_id
    held = app.deal_states.latest(deal_id)
    assert held is not None
    statements_before, version_before = dict(held.statements), held.version

    app.record(deal_id, statements(said, 2))

    assert (held.version, held.statements) == (version_before, statements_before)
    assert app.deal_states.at(deal_id, version_before) is held
    assert (latest := app.deal_states.latest(deal_id)) is not None and latest.version == version_before + 2


def test_a_deal_keeps_its_few_latest_versions_and_the_least_recently_used_deals_go() -> None:
    states = DealStates(capacity=2)
    deals = [Deal.opened_by(opening(uuid.uuid4(), f"Deal {n}", NOW)[0]) for n in range(3)]
    for deal in deals:
        deal.collect_events()
    first = deals[0]
    versions = []
    for n in range(6):
        versions.append(first)
        states.put(first)
        first = first.copy()
        first.handle(Statements().command(f"s{n}"))
        first.collect_events()
    assert sorted(states.versions([deals[0].id]).values()) == [6]
    assert [v for v in range(1, 7) if states.at(deals[0].id, v) is not None] == [5, 6]
    states.put(deals[1])
    states.put(deals[2])  # the third deal: the least recently used (the first) goes
    assert states.latest(deals[0].id) is None and len(states) == 2


def test_a_deal_with_events_not_yet_saved_is_not_copied() -> None:
    deal = Deal.opened_by(opening(uuid.uuid4(), "Deal", NOW)[0])
    with pytest.raises(RuntimeError, match="not yet saved"):
        deal.copy()
