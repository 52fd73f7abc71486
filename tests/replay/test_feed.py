"""GET /events: every event of every deal in commit order, the same bodies as each deal's history."""

from __future__ import annotations

import base64
import os

import pytest
from fastapi.testclient import TestClient
from pydantic import SecretStr

from service.api.main import create_app
from service.replay import feed as feed_module
from service.replay.feed import FeedReader, backfill
from service.settings import Settings
from service.storage import event_index, postgres_recorder, sqlite_recorder
from service.wire.event_json import FINGERPRINT
from tests.replay.helpers import forget_feed_json, post, problem, record_story


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


def _without_json(client: TestClient) -> int:
    """How many events the feed had to decode because their JSON was not stored (under this fingerprint)."""
    reader = FeedReader(client.app.state.deals)  # type: ignore[attr-defined]
    return sum(1 for row in reader.recorder.select_feed(0, 100_000) if row[1] is None)


def test_each_event_is_stored_with_its_feed_json(client: TestClient) -> None:
    deal_id = record_story(client)

    feed = _read_all(client, limit=1000)

    assert len(feed) == 13 and _without_json(client) == 0
    assert feed == client.get(f"/deals/{deal_id}/events", params={"limit": 1000}).json()["items"]


def test_events_whose_json_is_missing_are_decoded_in_their_place(client: TestClient) -> None:
    _, second = _two_interleaved_deals(client)
    whole = _read_all(client, limit=1000)
    forget_feed_json(client.app.state.deals, 1, 7, 8, 14, 28)  # type: ignore[attr-defined]

    pages = [_read_all(client, limit=limit) for limit in (1, 5, 7, 1000)]
    of_second = _feed(client, deal_id=second, limit=1000)["items"]

    assert all(page == whole for page in pages)
    assert _without_json(client) == 5
    assert of_second == [e for e in whole if e["deal_id"] == second]


def test_json_stored_under_another_fingerprint_is_not_served_until_the_backfill_stores_it_again(
    client: TestClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    deal_id = record_story(client)
    history = client.get(f"/deals/{deal_id}/events", params={"limit": 1000}).json()["items"]
    # As after an upgrade that changed an event class or the API's schema.
    for module in (event_index, sqlite_recorder, postgres_recorder, feed_module):
        monkeypatch.setattr(module, "FINGERPRINT", FINGERPRINT + 1)

    stale = _without_json(client)
    served = _read_all(client, limit=5)
    refreshed = backfill(client.app.state.deals, page=4)  # type: ignore[attr-defined]
    again = backfill(client.app.state.deals)  # type: ignore[attr-defined]

    assert stale == 13 and served == history
    assert (refreshed, again, _without_json(client)) == (13, 0, 0)
    assert _read_all(client, limit=1000) == history


def test_with_encrypted_storage_no_json_is_stored_and_the_feed_decodes_through_the_mapper(
    sqlite_settings: Settings,
) -> None:
    key = SecretStr(base64.b64encode(os.urandom(32)).decode())
    settings = sqlite_settings.model_copy(update={"cipher_key": key})
    with TestClient(create_app(settings)) as client:
        deal_id = record_story(client)

        feed = _read_all(client, limit=4)
        history = client.get(f"/deals/{deal_id}/events", params={"limit": 1000}).json()["items"]
        without_json = _without_json(client)
        with pytest.raises(ValueError, match="encrypted"):
            backfill(client.app.state.deals)  # type: ignore[attr-defined]

    assert feed == history and without_json == 13
