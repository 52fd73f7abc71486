"""An event the deal list cannot project, written into the log past the API: the follower says at once that it is
stuck (readiness, a metric, the log), and `deals projections rebuild --skip-position` gets past it, recorded."""

from __future__ import annotations

import logging
import time
import uuid
from collections.abc import Callable, Iterator

import pytest
from fastapi.testclient import TestClient
from typer.testing import CliRunner

from service.api.main import create_app
from service.application import DealsApplication
from service.entrypoints.cli import app as cli
from service.projections.deal_list import DealListWorker, close_view, open_view
from service.projections.faults import FAULTS, STUCK_AFTER
from service.settings import Settings, get_settings
from tests.commands import opening
from tests.hardening.metrics_text import sample
from tests.projections.helpers import T0, UA, US, touch, wait_until_reached


@pytest.fixture
def configured(settings: Settings, monkeypatch: pytest.MonkeyPatch) -> Iterator[Settings]:
    yield from configure(settings, monkeypatch)


@pytest.fixture
def configured_postgres(postgres_settings: Settings, monkeypatch: pytest.MonkeyPatch) -> Iterator[Settings]:
    yield from configure(postgres_settings, monkeypatch)


def configure(settings: Settings, monkeypatch: pytest.MonkeyPatch) -> Iterator[Settings]:
    monkeypatch.setenv("DEALS_DATABASE_URL", settings.database_url)
    monkeypatch.setenv("DEALS_POSTGRES_SCHEMA", settings.postgres_schema)
    get_settings.cache_clear()
    FAULTS.cleared("deal_list", 2**62)
    yield settings
    FAULTS.cleared("deal_list", 2**62)
    get_settings.cache_clear()


def open_deal(app: DealsApplication, title: str) -> tuple[uuid.UUID, int]:
    recorded = app.open_deal(*opening(uuid.uuid4(), title, T0, parties=[US, UA]))
    return recorded.deal_id, app.recorder.max_notification_id() or 0


def corrupt_opening(app: DealsApplication, deal_id: uuid.UUID, settings: Settings) -> None:
    """Overwrite the stored state of the deal's first event with bytes no mapper can read."""
    ph = "%s" if settings.is_postgres else "?"
    with app.recorder.datastore.transaction(commit=True) as curs:
        name = app.recorder.events_table_name  # type: ignore[attr-defined]
        table = f"{settings.postgres_schema}.{name}" if settings.is_postgres else name
        curs.execute(f"UPDATE {table} SET state = {ph} "
                     f"WHERE originator_id = {ph} AND originator_version = 1",
                     (b"\x00 not an event", deal_id if settings.is_postgres else deal_id.hex))


def wait_for(condition: Callable[[], object], timeout: float = 30) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.05)


def poison(app: DealsApplication, settings: Settings, kind: str) -> uuid.UUID:
    if kind == "unreadable":
        deal_id, _ = open_deal(app, "to be corrupted")
        corrupt_opening(app, deal_id, settings)
        return deal_id
    deal_id, _ = open_deal(app, "a\x00b")  # the domain takes it; the API would refuse it
    return deal_id


def test_an_unreadable_event_makes_the_deal_list_stuck_visibly_and_rebuild_skips_its_deal(
    configured: Settings, caplog: pytest.LogCaptureFixture
) -> None:
    stuck_then_skipped(configured, "unreadable", caplog)


@pytest.mark.postgres
def test_a_nul_title_makes_the_postgres_deal_list_stuck_visibly_and_rebuild_skips_its_deal(
    configured_postgres: Settings, caplog: pytest.LogCaptureFixture
) -> None:
    """The reported case: PostgreSQL text cannot hold NUL (SQLite can, so there it is no poison)."""
    stuck_then_skipped(configured_postgres, "nul", caplog)


def stuck_then_skipped(configured: Settings, kind: str, caplog: pytest.LogCaptureFixture) -> None:
    app = DealsApplication(settings=configured)
    before, _ = open_deal(app, "before")
    poisoned = poison(app, configured, kind)
    poisoned_at = app.recorder.max_notification_id() - 2  # type: ignore[operator]  # opened, then two parties joined
    after, head = open_deal(app, "after")
    caplog.set_level(logging.WARNING, logger="service.projections.faults")

    worker = DealListWorker(configured)
    worker.exclusive.retry_interval = 0.05
    worker.start()
    try:
        wait_for(FAULTS.stuck)
        fault = FAULTS.stuck()[0]
        assert (fault.projection, fault.position, fault.deal_id) == ("deal_list", poisoned_at, poisoned)
        with TestClient(create_app(configured.model_copy(update={"run_background": False}))) as client:
            ready = client.get("/readyz")
            failures = sample(client.get("/metrics").text, "deals_projection_failures_total", projection="deal_list")
    finally:
        worker.stop()
    assert ready.status_code == 503
    projections = ready.json()["checks"]["projections"]
    assert projections["status"] == "stuck"
    assert projections["stuck"][0]["position"] == poisoned_at
    assert f"stuck at position {poisoned_at}" in projections["detail"]
    assert f"--skip-position {poisoned_at}" in projections["detail"]
    assert failures >= STUCK_AFTER
    assert any(r.levelno == logging.ERROR and "--skip-position" in r.getMessage() for r in caplog.records)
    view = open_view(configured)
    try:
        assert {row.title for row in view.rows()} == {"before"}, "the events before the poisoned one are written"

        refused = CliRunner().invoke(cli, ["projections", "rebuild"])
        assert refused.exit_code != 0
        rebuilt = CliRunner().invoke(cli, ["projections", "rebuild", "--skip-position", str(poisoned_at)])
        assert rebuilt.exit_code == 0, rebuilt.output
        assert f"leaving deal {poisoned} out of the list" in rebuilt.output
        assert {row.deal_id for row in view.rows()} == {before, after}
        assert [(s.deal_id, s.position) for s in view.skips()] == [(poisoned, poisoned_at)]
        status = CliRunner().invoke(cli, ["projections", "status"])
        assert str(poisoned) in status.output and "left out" in status.output

        worker = DealListWorker(configured)
        worker.exclusive.retry_interval = 0.05
        worker.start()
        try:
            if kind == "nul":
                touch(app, poisoned, 1)  # the deal still takes events; the list passes over them
            later, head = open_deal(app, "later")
            wait_until_reached(view, head)
            # the worker clears the fault when its catch-up returns, a moment after the view has reached the head
            wait_for(lambda: not FAULTS.stuck())
            assert {row.deal_id for row in view.rows()} == {before, after, later}
        finally:
            worker.stop()
    finally:
        close_view(view)
        app.close()


def test_an_unknown_position_to_skip_is_refused(configured: Settings) -> None:
    app = DealsApplication(settings=configured)
    open_deal(app, "only")
    app.close()

    result = CliRunner().invoke(cli, ["projections", "rebuild", "--skip-position", "999"])

    assert result.exit_code == 2
    assert "no event at position 999" in result.output
