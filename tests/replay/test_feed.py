"""GET /events: every event of every deal in commit order, the same bodies as each deal's history."""

from __future__ import annotations

import base64
import os

from fastapi.testclient import TestClient
from pydantic import SecretStr

from service.api.main import create_app
from service.settings import Settings
from tests.replay.helpers import post, problem, record_story


def _feed(client: TestClient, **params: object) -> dict:
    response = client.get("/events", params=params)
    assert response.status_code == 200, response.text
    return response.json()


def _read_all(client: TestClient, limit: int, **params: object) -> list[dict]:
    items, after = [], 0
    while True:
        page = _feed(client, after=after, limit=limit, **params)
        items += page["items"]
        after = page["next_after"]
        if not page["has_more"]:
            return items


def _two_interleaved_deals(client: TestClient) -> tuple[str, str]:
    first, second = record_story(client), record_story(client)
    post(client, first, {"type": "condition_satisfied", "condition_id": "c1", "by_party": "US"})
    post(client, second, {"type": "event_retracted", "target_version": 11, "reason": "withdrawn by the source"})
    return first, second


def test_the_feed_is_every_deals_history_in_commit_order(client: TestClient) -> None:
    first, second = _two_interleaved_deals(client)

    feed = _read_all(client, limit=5)
    histories = {d: client.get(f"/deals/{d}/events", params={"limit": 1000}).json()["items"] for d in (first, second)}

    positions = [e["position"] for e in feed]
    assert positions == sorted(set(positions))
    assert [e for e in feed if e["deal_id"] == first] == histories[first]
    assert [e for e in feed if e["deal_id"] == second] == histories[second]
    assert [e["deal_id"] for e in feed] == [first] * 13 + [second] * 13 + [first, second]


def test_the_feed_filters_by_type_and_deal_and_moves_its_cursor_past_what_it_skipped(client: TestClient) -> None:
    first, second = _two_interleaved_deals(client)
    last = _feed(client, after=0, limit=1000)["next_after"]

    conditions = _feed(client, type=["condition_raised", "condition_satisfied"])
    of_second = _feed(client, deal_id=second, limit=1000)
    nothing_new = _feed(client, after=last)

    assert [(e["deal_id"], e["version"], e["type"]) for e in conditions["items"]] == [
        (first, 9, "condition_raised"), (first, 12, "condition_raised"),
        (second, 9, "condition_raised"), (second, 12, "condition_raised"), (first, 14, "condition_satisfied")]
    assert conditions["next_after"] == last and conditions["has_more"] is False
    assert {e["deal_id"] for e in of_second["items"]} == {second} and len(of_second["items"]) == 14
    assert nothing_new == {"items": [], "next_after": last, "has_more": False}


def test_the_feed_refuses_unknown_types_and_bad_positions(client: TestClient) -> None:
    unknown = problem(client, "/events", type="signed")
    negative = problem(client, "/events", after=-1)

    assert (unknown["status"], unknown["field"]) == (422, "type")
    assert (negative["status"], negative["errors"][0]["field"]) == (422, "after")


def test_with_encrypted_storage_the_feed_decodes_through_the_mapper_with_the_same_bodies(
    sqlite_settings: Settings,
) -> None:
    key = SecretStr(base64.b64encode(os.urandom(32)).decode())
    settings = sqlite_settings.model_copy(update={"cipher_key": key})
    with TestClient(create_app(settings)) as client:
        deal_id = record_story(client)

        feed = _read_all(client, limit=4)
        history = client.get(f"/deals/{deal_id}/events", params={"limit": 1000}).json()["items"]
        reader = client.app.state.feed_reader  # type: ignore[attr-defined]

    assert reader.raw is False
    assert feed == history
