"""An event has happened: an occurred_at ahead of the server's clock by more than DEALS_MAX_CLOCK_SKEW_SECONDS is
refused naming the field, on SQLite and on PostgreSQL; deadlines may lie anywhere ahead."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import pytest
from fastapi.testclient import TestClient

from service.api.main import create_app
from service.settings import Settings
from tests.api.helpers import history, open_deal, post_events, tender


def ahead(seconds: float) -> str:
    return (datetime.now(UTC) + timedelta(seconds=seconds)).isoformat()


def statement(occurred_at: str) -> dict[str, object]:
    return {"type": "statement_recorded", "speaker": {"title": "spokesman"}, "quote": "soon",
            "occurred_at": occurred_at}


def test_an_event_dated_minutes_ahead_is_422_naming_occurred_at(client: TestClient) -> None:
    deal_id = open_deal(client)["deal_id"]

    response = post_events(client, deal_id, statement(ahead(600)))

    assert response.status_code == 422
    assert response.headers["content-type"] == "application/problem+json"
    assert (response.json()["code"], response.json()["field"]) == ("invalid_value", "occurred_at")
    assert len(history(client, deal_id)) == 3


def test_an_event_dated_in_9999_is_refused_and_changes_dated_now_still_go_in(client: TestClient) -> None:
    deal_id = open_deal(client)["deal_id"]

    refused = post_events(client, deal_id, tender(at="9999-01-01T00:00:00+00:00"))
    accepted = post_events(client, deal_id, tender(at=ahead(0)))

    assert (refused.status_code, refused.json()["field"]) == (422, "occurred_at")
    assert accepted.status_code == 201, accepted.text


def test_a_clock_a_little_fast_is_within_the_skew_allowed(client: TestClient) -> None:
    deal_id = open_deal(client)["deal_id"]

    assert post_events(client, deal_id, statement(ahead(60))).status_code == 201


def test_deadlines_stay_free(client: TestClient) -> None:
    deal_id = open_deal(client)["deal_id"]
    far = "9000-01-01T00:00:00+00:00"

    response = post_events(client, deal_id, [
        {**tender(), "respond_by": far},
        {"type": "counter_proposal_announced", "by_party": "UA", "expected_by": far,
         "occurred_at": "2025-02-15T20:00:00+01:00"},
        {"type": "deadline_set", "deadline_at": far, "occurred_at": "2025-02-15T20:00:00+01:00"},
    ])

    assert response.status_code == 201, response.text


def test_the_opening_the_item_of_a_batch_and_a_corrected_date_are_checked_too(client: TestClient) -> None:
    opening = client.post("/deals", json={"title": "Grain corridor", "occurred_at": ahead(3600)})
    deal_id = open_deal(client)["deal_id"]
    in_batch = post_events(client, deal_id, [tender(), statement(ahead(3600))])
    version = history(client, deal_id)[-1]["version"]
    correction = post_events(client, deal_id, {"type": "event_corrected", "target_version": version,
                                               "corrected_fields": {"occurred_at": ahead(3600)}, "reason": "typo"})

    assert (opening.status_code, opening.json()["field"]) == (422, "occurred_at")
    assert (in_batch.status_code, in_batch.json()["field"]) == (422, "1.occurred_at")
    assert (correction.status_code, correction.json()["field"]) == (422, "corrected_fields.occurred_at")
    assert len(history(client, deal_id)) == 3


@pytest.fixture
def strict_client(settings: Settings, monkeypatch: pytest.MonkeyPatch) -> Iterator[TestClient]:
    monkeypatch.setenv("DEALS_MAX_CLOCK_SKEW_SECONDS", "0")
    strict = Settings(**settings.model_dump(exclude={"max_clock_skew_seconds"}))
    assert strict.max_clock_skew_seconds == 0
    with TestClient(create_app(strict)) as test_client:
        yield test_client


def test_the_skew_allowed_is_a_setting(strict_client: TestClient) -> None:
    deal_id = open_deal(strict_client)["deal_id"]

    response = post_events(strict_client, deal_id, statement(ahead(30)))

    assert (response.status_code, response.json()["field"]) == (422, "occurred_at")
