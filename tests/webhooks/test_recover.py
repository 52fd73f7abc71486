"""Recover is idempotent and capped: a range recovered twice queues each event once per endpoint (no second pending
delivery), and a recover larger than DEALS_WEBHOOK_RECOVER_CONFIRM_ABOVE needs `confirm: true`, queuing nothing
without it and saying how many it would queue."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient

from service.api.main import create_app
from service.settings import Settings
from tests.webhooks.helpers import deliveries, new_deal, record, statement, subscribe
from tests.webhooks.receiver import Receiver, wait_for


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    with Receiver() as running:
        yield running


@pytest.fixture
def api(wh_settings: Settings) -> Iterator[TestClient]:
    with TestClient(create_app(wh_settings.model_copy(update={"webhook_recover_confirm_above": 5}))) as client:
        yield client


def _delivered(api: TestClient, endpoint: dict, receiver: Receiver) -> list[dict]:
    """Three statements on a new deal, all delivered; their envelopes."""
    deal = new_deal(api)
    recorded = record(api, deal, statement("1"), statement("2"), statement("3"))
    ids = {r["event_id"] for r in recorded}
    wait_for(lambda: ids <= {d["webhook_id"] for d in deliveries(api, endpoint["id"], status="succeeded")}
             and not deliveries(api, endpoint["id"], status="pending"))
    return recorded


def test_recovering_a_range_twice_queues_each_event_once(api: TestClient, receiver: Receiver) -> None:
    endpoint = subscribe(api, receiver.url)
    recorded = _delivered(api, endpoint, receiver)
    api.post(f"/webhooks/{endpoint['id']}/disable")  # the recovered deliveries wait, pending
    body = {"from_position": recorded[0]["position"]}

    first = api.post(f"/webhooks/{endpoint['id']}/recover", json=body)
    second = api.post(f"/webhooks/{endpoint['id']}/recover", json=body)
    third = api.post(f"/webhooks/{endpoint['id']}/recover", json={"from_position": 1})

    assert first.status_code == second.status_code == 202
    assert (first.json()["queued"], first.json()["already_pending"]) == (3, 0)
    assert (second.json()["queued"], second.json()["already_pending"]) == (0, 3)
    opening = recorded[0]["position"] - 1  # the events that opened the deal: not queued by the first two
    assert (third.json()["queued"], third.json()["already_pending"]) == (opening, 3)
    pending = deliveries(api, endpoint["id"], status="pending")
    assert len(pending) == 3 + opening
    assert max(Counter(d["webhook_id"] for d in pending).values()) == 1

    api.post(f"/webhooks/{endpoint['id']}/enable")
    wait_for(lambda: not deliveries(api, endpoint["id"], status="pending"))
    assert len(receiver.deal_events()) == 2 * (3 + opening)


def test_a_recover_above_the_setting_needs_confirm_and_says_how_many(api: TestClient, receiver: Receiver) -> None:
    endpoint = subscribe(api, receiver.url)
    _delivered(api, endpoint, receiver)
    _delivered(api, endpoint, receiver)
    before = len(deliveries(api, endpoint["id"]))

    refused = api.post(f"/webhooks/{endpoint['id']}/recover", json={"from_position": 1})
    unchanged = len(deliveries(api, endpoint["id"]))
    confirmed = api.post(f"/webhooks/{endpoint['id']}/recover", json={"from_position": 1, "confirm": True})
    small = api.post(f"/webhooks/{endpoint['id']}/recover", json={"from_position": 1, "until_position": 1})

    assert refused.status_code == 422, refused.text
    problem = refused.json()
    assert (problem["code"], problem["field"], problem["would_queue"], problem["confirm_above"]) == (
        "recover_confirm_required", "confirm", before, 5)
    assert f"queue {before} deliveries" in problem["detail"]
    assert "DEALS_WEBHOOK_RECOVER_CONFIRM_ABOVE" in problem["detail"]
    assert unchanged == before
    assert confirmed.status_code == 202 and confirmed.json()["queued"] == before
    assert small.status_code == 202  # under the setting: no confirm needed (and queued already: nothing twice)
