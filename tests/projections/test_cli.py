"""`deals projections rebuild` and `deals projections status` against a database with deals in it."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from typer.testing import CliRunner

from service.application import DealsApplication
from service.entrypoints.cli import app as cli
from service.projections.deal_list import close_view, open_view
from service.settings import Settings, get_settings
from tests.projections.helpers import expected_row, open_deals


@pytest.fixture
def configured(settings: Settings, monkeypatch: pytest.MonkeyPatch) -> Iterator[Settings]:
    monkeypatch.setenv("DEALS_DATABASE_URL", settings.database_url)
    monkeypatch.setenv("DEALS_POSTGRES_SCHEMA", settings.postgres_schema)
    get_settings.cache_clear()
    yield settings
    get_settings.cache_clear()


def test_rebuild_fills_the_deal_list_and_status_shows_no_lag(configured: Settings) -> None:
    app = DealsApplication(settings=configured)
    deal_ids = open_deals(app, 6)
    head = app.recorder.max_notification_id()

    rebuilt = CliRunner().invoke(cli, ["projections", "rebuild", "--page", "100"])
    status = CliRunner().invoke(cli, ["projections", "status"])

    assert rebuilt.exit_code == 0, rebuilt.output
    assert f"{head} events, 6 deals, position {head}" in rebuilt.output
    assert status.exit_code == 0, status.output
    assert "deal_list" in status.output
    view = open_view(configured)
    try:
        assert {row.deal_id: row.status for row in view.rows()} == {
            deal_id: expected_row(app, deal_id)[2] for deal_id in deal_ids}
    finally:
        close_view(view)
        app.close()
