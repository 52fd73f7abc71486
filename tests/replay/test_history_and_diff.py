"""GET /deals/{id}/events filters and orders; GET /deals/{id}/diff says what changed between two versions."""

from __future__ import annotations

from datetime import datetime

from fastapi.testclient import TestClient

from tests.replay.helpers import post, problem, record_story


def _history(client: TestClient, deal_id: str, **params: object) -> dict:
    response = client.get(f"/deals/{deal_id}/events", params=params)
    assert response.status_code == 200, response.text
    return response.json()


def test_history_filters_by_repeated_type_and_gives_each_event_its_feed_position(client: TestClient) -> None:
    deal_id = record_story(client)

    page = _history(client, deal_id, type=["condition_raised", "statement_recorded"])
    feed = {(e["deal_id"], e["version"]): e["position"] for e in client.get("/events").json()["items"]}

    assert [(e["version"], e["type"]) for e in page["items"]] == [
        (9, "condition_raised"), (10, "statement_recorded"), (11, "statement_recorded"), (12, "condition_raised")]
    assert all(e["position"] == feed[(deal_id, e["version"])] for e in page["items"])
    assert page["next_cursor"] is None


def test_history_in_occurred_order_pages_with_its_cursor(client: TestClient) -> None:
    deal_id = record_story(client)
    post(client, deal_id, {"type": "statement_recorded", "statement_id": "s0", "speaker": {"name": "JD Vance"},
                           "quote": "very good and substantive", "stance": "support",
                           "occurred_at": "2025-02-13T12:00:00+01:00"})

    items, cursor = [], None
    while True:
        page = _history(client, deal_id, order="occurred_at", limit=4, **({"cursor": cursor} if cursor else {}))
        items += page["items"]
        cursor = page["next_cursor"]
        if cursor is None:
            break

    assert len(items) == 14
    keys = [(datetime.fromisoformat(e["occurred_at"]), e["version"]) for e in items]
    assert keys == sorted(keys)
    assert [e["version"] for e in items][5:8] == [6, 14, 7]  # the late report sits between 12 and 14 Feb


def test_history_in_version_order_pages_with_cursor_or_after_version(client: TestClient) -> None:
    deal_id = record_story(client)

    first = _history(client, deal_id, limit=5)
    by_cursor = _history(client, deal_id, limit=5, cursor=first["next_cursor"])
    by_version = _history(client, deal_id, limit=5, after_version=first["next_after_version"])

    assert [e["version"] for e in first["items"]] == [1, 2, 3, 4, 5]
    assert [e["version"] for e in by_cursor["items"]] == [6, 7, 8, 9, 10] == [e["version"] for e in by_version["items"]]


def test_history_refuses_unknown_types_and_foreign_cursors(client: TestClient) -> None:
    deal_id = record_story(client)
    url = f"/deals/{deal_id}/events"

    unknown = problem(client, url, type="proposal_signed")
    cursor = problem(client, url, order="occurred_at", cursor="7")
    missing = problem(client, "/deals/00000000-0000-4000-8000-000000000000/events", type="condition_raised")

    assert (unknown["status"], unknown["field"]) == (422, "type")
    assert "proposal_signed" in unknown["detail"]
    assert (cursor["status"], cursor["field"]) == (422, "cursor")
    assert missing["status"] == 404


def _diff(client: TestClient, deal_id: str, **params: object) -> dict[str, dict]:
    response = client.get(f"/deals/{deal_id}/diff", params=params)
    assert response.status_code == 200, response.text
    return {change["path"]: change for change in response.json()["changes"]}


def test_diff_across_the_withholding_names_status_ball_and_the_new_condition(client: TestClient) -> None:
    deal_id = record_story(client)

    changes = _diff(client, deal_id, **{"from": 7, "to": 9})

    assert set(changes) == {"status", "awaiting", "conditions.c1"}
    assert (changes["status"]["before"], changes["status"]["after"]) == ("proposed", "signing_withheld")
    assert changes["status"]["summary"] == "status: proposed → signing_withheld"
    assert changes["awaiting"]["before"]["party_ids"] == ["UA"]
    assert changes["awaiting"]["after"]["party_ids"] == ["US"]
    assert changes["conditions.c1"]["before"] is None
    assert changes["conditions.c1"]["summary"].startswith("condition c1 raised by UA: For me, it is crucial")


def test_diff_shows_a_condition_closing_and_a_statement_corrected(client: TestClient) -> None:
    deal_id = record_story(client)
    post(client, deal_id,
         {"type": "condition_satisfied", "condition_id": "c1", "by_party": "US", "note": "guarantees agreed"},
         {"type": "event_corrected", "target_version": 10, "corrected_fields": {"quote": "very short-sighted"},
          "reason": "misquoted"})

    changes = _diff(client, deal_id, **{"from": 13})

    assert changes["conditions.c1.status"]["summary"] == "condition c1: status open → satisfied"
    assert changes["conditions.c1.resolved_by"]["after"] == "US"
    assert changes["statements.s1.quote"]["before"] == "short-sighted"
    assert changes["statements.s1.quote"]["after"] == "very short-sighted"
    assert changes["corrections.10"]["summary"] == "event 10 corrected: quote"
    assert "open_conditions" not in changes


def test_diff_versions_outside_the_history_are_422_naming_the_parameter(client: TestClient) -> None:
    deal_id = record_story(client)
    url = f"/deals/{deal_id}/diff"

    beyond = problem(client, url, **{"from": 1, "to": 14})
    backwards = problem(client, url, **{"from": 9, "to": 5})
    no_from = problem(client, url)

    assert (beyond["status"], beyond["code"], beyond["field"]) == (422, "outside_history", "to")
    assert (backwards["status"], backwards["field"]) == (422, "from")
    assert (no_from["status"], no_from["errors"][0]["field"]) == (422, "from")
    assert problem(client, "/deals/00000000-0000-4000-8000-000000000000/diff", **{"from": 1})["status"] == 404
