"""GET /deals from the read model: filters, cursor pages that stay stable while deals are written, reads that wait
for one's own writes (or answer 503), and GET /projections — on SQLite and PostgreSQL."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from fastapi.testclient import TestClient

from service.api.main import create_app
from service.entrypoints.demo import OPENING
from service.settings import Settings
from tests.api.helpers import post_events, tender

PROBLEM = "application/problem+json"


@pytest.fixture
def api(settings: Settings) -> Iterator[TestClient]:
    with TestClient(create_app(settings)) as client:
        yield client


def open_deal(client: TestClient, title: str, parties: list[dict[str, Any]] | None = None) -> tuple[str, int]:
    body = {**OPENING, "title": title, **({"parties": parties} if parties is not None else {})}
    response = client.post("/deals", json=body)
    assert response.status_code == 201, response.text
    return response.json()["deal_id"], int(response.headers["Deals-Position"])


def record(client: TestClient, deal_id: str, body: Any) -> int:
    response = post_events(client, deal_id, body)
    assert response.status_code == 201, response.text
    return int(response.headers["Deals-Position"])


def listed(client: TestClient, position: int, **params: Any) -> list[str]:
    response = client.get("/deals", params={**params, "min_position": position, "limit": 500})
    assert response.status_code == 200, response.text
    return [item["title"] for item in response.json()["items"]]


def test_filters_by_status_party_role_awaiting_time_and_title(api: TestClient) -> None:
    open_deal(api, "Grain corridor")
    proposed, _ = open_deal(api, "US–Ukraine minerals agreement")
    record(api, proposed, tender())
    withheld, _ = open_deal(api, "Ölpipeline Straße")
    record(api, withheld, tender())
    mediated, _ = open_deal(api, "Black Sea talks", parties=[
        {"party_id": "TR", "name": "Türkiye", "roles": ["mediator"]},
        {"party_id": "UA", "name": "Ukraine", "roles": ["proposer"]}])
    since = api.get(f"/deals/{mediated}").json()["updated_at"]
    position = record(api, withheld, {"type": "signing_withheld", "by_party": "UA",
                                      "occurred_at": "2025-02-15T12:00:00+01:00"})

    assert listed(api, position) == ["Grain corridor", "US–Ukraine minerals agreement", "Ölpipeline Straße",
                                     "Black Sea talks"]
    assert listed(api, position, status=["proposed", "signing_withheld"]) == [
        "US–Ukraine minerals agreement", "Ölpipeline Straße"]
    assert listed(api, position, party="TR") == ["Black Sea talks"]
    assert listed(api, position, party="UA", role="proposer") == ["Black Sea talks"]
    assert listed(api, position, role="mediator") == ["Black Sea talks"]
    assert listed(api, position, party="TR", role="proposer") == []
    assert listed(api, position, awaiting="UA") == ["US–Ukraine minerals agreement", "Black Sea talks"]
    assert listed(api, position, awaiting="US") == ["Grain corridor", "Ölpipeline Straße"]
    assert listed(api, position, updated_since=since) == ["Ölpipeline Straße", "Black Sea talks"]
    assert listed(api, position, q="MINERALS") == ["US–Ukraine minerals agreement"]
    assert listed(api, position, q="ölpipeline strasse") == ["Ölpipeline Straße"]  # casefold: ß is ss
    assert listed(api, position, q="%") == []
    assert listed(api, position, order="-opened")[0] == "Black Sea talks"
    assert listed(api, position, order="updated")[-1] == "Ölpipeline Straße"


def test_a_listed_deal_shows_its_ball_parties_and_open_conditions(api: TestClient) -> None:
    deal_id, _ = open_deal(api, "US–Ukraine minerals agreement")
    record(api, deal_id, tender())
    record(api, deal_id, {"type": "signing_withheld", "by_party": "UA", "occurred_at": "2025-02-15T12:00:00+01:00"})
    position = record(api, deal_id, {"type": "condition_raised", "raised_by": "UA", "text": "security guarantees"})

    item = api.get("/deals", params={"min_position": position}).json()["items"][0]
    deal = api.get(f"/deals/{deal_id}").json()

    assert item["status"] == deal["status"] == "signing_withheld"
    assert item["awaiting"] == deal["awaiting"]["party_ids"] == ["US"]
    assert item["awaiting_reason"] == deal["awaiting"]["reason"]
    assert item["open_conditions"] == 1 and item["version"] == deal["version"] == 6
    assert [(p["party_id"], p["roles"]) for p in item["parties"]] == [
        (p["party_id"], p["roles"]) for p in deal["parties"]]
    assert item["updated_at"] == deal["updated_at"] and item["position"] == position


def page_through(client: TestClient, order: str, between_pages: Any, limit: int = 4) -> list[str]:
    seen: list[str] = []
    cursor = None
    while True:
        params = {"order": order, "limit": limit, **({"cursor": cursor} if cursor else {})}
        body = client.get("/deals", params={**params, "min_position": between_pages()}).json()
        seen += [item["deal_id"] for item in body["items"]]
        cursor = body["next_cursor"]
        if cursor is None:
            return seen


@pytest.mark.parametrize("order", ["opened", "-opened"])
def test_pages_are_stable_while_deals_are_opened_and_changed(api: TestClient, order: str) -> None:
    existing = [open_deal(api, f"Deal {n}")[0] for n in range(10)]
    added: list[str] = []

    def write_between_pages() -> int:
        deal_id, _ = open_deal(api, f"New deal {len(added)}")
        added.append(deal_id)
        return record(api, existing[len(added) % len(existing)], tender(proposal_id=f"v{len(added)}"))

    seen = page_through(api, order, write_between_pages)

    assert len(seen) == len(set(seen)), "a deal came twice"
    assert set(existing) <= set(seen), "a deal that existed before paging was skipped"


def test_ordered_by_update_a_deal_changed_while_paging_comes_again_and_none_is_skipped(api: TestClient) -> None:
    existing = [open_deal(api, f"Deal {n}")[0] for n in range(8)]
    changed: list[str] = []

    def change_a_seen_deal() -> int:
        changed.append(existing[len(changed)])
        return record(api, changed[-1], tender(proposal_id=f"v{len(changed)}"))

    seen = page_through(api, "updated", change_a_seen_deal)

    assert set(existing) <= set(seen)
    assert seen[-1] in changed


def test_cursor_and_filters_are_checked(api: TestClient) -> None:
    open_deal(api, "Grain corridor")
    for params in ({"cursor": "not-a-cursor"}, {"status": "bogus"}, {"limit": 501}, {"role": "king"},
                   {"updated_since": "2025-02-16T00:00:00"}, {"min_position": 10**9}):
        response = api.get("/deals", params=params)
        assert response.status_code == 422, params
        assert response.headers["content-type"] == PROBLEM
        body = response.json()
        assert body.get("field") or body["errors"][0]["field"], body
    _, position = open_deal(api, "Black Sea talks")
    cursor = api.get("/deals", params={"limit": 1, "min_position": position}).json()["next_cursor"]
    assert api.get("/deals", params={"cursor": cursor}).status_code == 200
    assert api.get("/deals", params={"cursor": cursor, "order": "updated"}).status_code == 422


def test_every_write_is_visible_to_the_next_read_that_names_its_position(api: TestClient) -> None:
    deal_id, _ = open_deal(api, "US–Ukraine minerals agreement")
    for n, event in enumerate([tender(), {"type": "signing_withheld", "by_party": "UA",
                                          "occurred_at": "2025-02-15T12:00:00+01:00"},
                               {"type": "counter_proposal_announced", "by_party": "UA",
                                "occurred_at": "2025-02-15T13:00:00+01:00"}]):
        position = record(api, deal_id, event)
        by_header = n % 2 == 0
        response = api.get("/deals", **({"headers": {"Deals-Min-Position": str(position)}} if by_header
                                         else {"params": {"min_position": position}}))
        assert int(response.headers["Deals-Position"]) >= position
        assert response.json()["items"][0]["version"] == 4 + n


def test_a_read_that_waits_too_long_is_a_503_problem(settings: Settings) -> None:
    idle = settings.model_copy(update={"run_background": False, "read_wait_timeout": 0.2})
    with TestClient(create_app(idle)) as client:
        _, position = open_deal(client, "Grain corridor")
        response = client.get("/deals", params={"min_position": position})

    assert response.status_code == 503
    assert response.headers["content-type"] == PROBLEM and response.headers["retry-after"] == "1"
    assert response.json()["code"] == "projection_behind" and response.json()["min_position"] == position


def test_projections_report_position_head_and_lag(settings: Settings) -> None:
    idle = settings.model_copy(update={"run_background": False})
    with TestClient(create_app(idle)) as client:
        open_deal(client, "Grain corridor")
        _, position = open_deal(client, "Black Sea talks")
        client.get("/deals")  # opens the deal list view, at position 0
        behind = {p["name"]: p for p in client.get("/projections").json()["items"]}["deal_list"]
    with TestClient(create_app(settings)) as client:
        client.get("/deals", params={"min_position": position})
        caught_up = {p["name"]: p for p in client.get("/projections").json()["items"]}["deal_list"]

    assert behind["position"] == 0 and behind["head"] == position
    assert behind["lag_events"] == 6 and behind["lag_seconds"] > 0 and behind["oldest_unprocessed_at"]
    assert caught_up == {"name": "deal_list", "position": position, "head": position, "lag_events": 0,
                         "lag_seconds": 0.0, "oldest_unprocessed_at": None}
