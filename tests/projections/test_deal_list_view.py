"""The deal list read model equals the deals themselves, however it was built: event by event with the library's
runner, in bulk, or rebuilt from the log while the service keeps writing — on SQLite and on PostgreSQL."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from types import SimpleNamespace

import pytest
from eventsourcing.persistence import Tracking

from service.application import DealsApplication
from service.projections.deal_list import (
    DealListProjection,
    DealListWorker,
    RunningProjection,
    close_view,
    open_view,
    view_class,
)
from service.projections.deal_list_batch import catch_up, rebuild
from service.projections.deal_list_view import APPLICATION_NAME, DealListView
from service.projections.runner import start_projection
from service.settings import Settings
from service.write.deal_states import Following
from tests.projections.helpers import expected_row, open_deals, touch, view_rows, wait_until_reached


@pytest.fixture
def app(settings: Settings) -> Iterator[DealsApplication]:
    application = DealsApplication(settings=settings)
    yield application
    application.close()


@pytest.fixture
def view(settings: Settings) -> Iterator[DealListView]:
    deal_list = open_view(settings)
    yield deal_list
    close_view(deal_list)


def head(app: DealsApplication) -> int:
    return app.recorder.max_notification_id() or 0


def test_the_projection_runner_builds_what_a_rebuild_from_the_log_builds(
    app: DealsApplication, view: DealListView, settings: Settings
) -> None:
    deal_ids = open_deals(app, 16)
    runner = start_projection(settings, DealListProjection, view_class(settings))
    try:
        with runner:
            runner.projection.follow(runner.app)  # type: ignore[attr-defined]
            runner.wait(head(app), timeout=30)
            built = view.rows()
    finally:
        close_view(runner.view)

    rebuilt_position = rebuild(app, view)

    assert rebuilt_position == head(app)
    assert view.rows() == built
    assert view_rows(view) == {deal_id: expected_row(app, deal_id) for deal_id in deal_ids}
    assert {row.status for row in built} >= {"draft", "proposed", "signing_withheld", "counter_proposal_pending",
                                            "signed", "withdrawn"}


def test_bulk_catch_up_resumes_from_its_position_and_matches_the_deals(
    app: DealsApplication, view: DealListView
) -> None:
    first = open_deals(app, 5)
    catch_up(app, view, Following().attach(app), page=7)  # type: ignore[arg-type]
    second = open_deals(app, 5, title="Later deal")
    for n, deal_id in enumerate(first):
        touch(app, deal_id, n)

    position = catch_up(app, view, Following().attach(app), page=7)  # type: ignore[arg-type]

    assert position == head(app)
    assert view_rows(view) == {deal_id: expected_row(app, deal_id) for deal_id in first + second}


def test_a_position_is_written_once_and_never_moves_back(app: DealsApplication, view: DealListView) -> None:
    open_deals(app, 1)
    position = head(app)

    assert view.write(Tracking(APPLICATION_NAME, position), (), ()) is True
    assert view.write(Tracking(APPLICATION_NAME, position), (), ()) is False
    assert view.write(Tracking(APPLICATION_NAME, position - 1), (), ()) is False
    assert view.max_tracking_id(APPLICATION_NAME) == position


def test_a_rebuild_while_the_projection_runs_and_writers_write_loses_nothing(
    app: DealsApplication, view: DealListView, settings: Settings
) -> None:
    deal_ids = open_deals(app, 12)
    worker = DealListWorker(settings)
    worker.start()
    stop = threading.Event()
    errors: list[BaseException] = []

    def keep_writing() -> None:
        n = 0
        try:
            while not stop.is_set():
                touch(app, deal_ids[n % len(deal_ids)], 100 + n)
                n += 1
        except BaseException as error:  # reported by the assertion below
            errors.append(error)

    writer = threading.Thread(target=keep_writing)
    writer.start()
    try:
        wait_until_reached(view, head(app))
        for _ in range(2):
            rebuild(app, view, page=25)
        stop.set()
        writer.join()
        wait_until_reached(view, head(app))
        live = view.rows()
    finally:
        stop.set()
        writer.join()
        worker.stop()

    assert errors == []
    assert view_rows(view) == {deal_id: expected_row(app, deal_id) for deal_id in deal_ids}
    rebuild(app, view)
    assert view.rows() == live


def test_a_runner_far_behind_the_log_asks_to_be_restarted_and_caught_up_in_bulk(
    app: DealsApplication, view: DealListView
) -> None:
    open_deals(app, 2)
    view.write(Tracking(APPLICATION_NAME, head(app)), (), ())
    runner = SimpleNamespace(is_interrupted=threading.Event(), app=app, view=view,
                             projection=SimpleNamespace(hand_off=SimpleNamespace(error=None)))
    running = RunningProjection(runner)  # type: ignore[arg-type]
    running.FAR_BEHIND = 5

    in_step = running.wants_restart()
    open_deals(app, 3)  # 3 events each, none processed

    assert in_step is False
    assert running.wants_restart() is True and running.failed() is False
