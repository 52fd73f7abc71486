"""The deal API end to end, on SQLite and on PostgreSQL."""

from __future__ import annotations

import uuid

from fastapi.testclient import TestClient

from service.entrypoints.demo import OPENING
from tests.api.helpers import history, open_deal, post_events, tender

PROBLEM = "application/problem+json"


def test_open_deal_answers_201_with_location_etag_and_parties(client: TestClient) -> None:
    response = client.post("/deals", json={"title": "Grain corridor", "parties": [
        {"party_id": "TR", "name": "Türkiye", "roles": ["mediator"]},
        {"party_id": "UA", "name": "Ukraine", "roles": ["proposer"]}]})

    assert response.status_code == 201
    body = response.json()
    assert response.headers["location"] == f"/deals/{body['deal_id']}"
    assert response.headers["etag"] == '"3"'
    assert body["status"] == "draft"
    assert [p["party_id"] for p in body["parties"]] == ["TR", "UA"]
    assert body["awaiting"]["party_ids"] == ["UA"]


def test_read_deal_gives_current_state_and_version_etag(client: TestClient) -> None:
    deal = open_deal(client)
    post_events(client, deal["deal_id"], tender())

    response = client.get(f"/deals/{deal['deal_id']}")

    assert response.status_code == 200
    assert response.headers["etag"] == '"4"'
    assert response.json()["status"] == "proposed"
    assert response.json()["awaiting"]["party_ids"] == ["UA"]
    assert "signing_withheld" in response.json()["allowed_events"]


def test_unknown_deal_is_404_problem(client: TestClient) -> None:
    missing = uuid.uuid4()
    for response in (client.get(f"/deals/{missing}"), client.get(f"/deals/{missing}/events"),
                     post_events(client, str(missing), tender())):
        assert response.status_code == 404
        assert response.headers["content-type"] == PROBLEM
        assert response.json()["code"] == "deal_not_found"


def test_reopening_an_existing_deal_id_is_409(client: TestClient) -> None:
    deal = open_deal(client)
    response = client.post("/deals", json={"deal_id": deal["deal_id"], "title": "again"})
    assert response.status_code == 409
    assert response.json()["code"] == "deal_exists"


def test_append_one_event_returns_its_envelope_and_position(client: TestClient) -> None:
    deal = open_deal(client)

    response = post_events(client, deal["deal_id"], tender())

    assert response.status_code == 201
    body = response.json()
    assert body["version"] == 4 and response.headers["etag"] == '"4"'
    event = body["events"][0]
    assert event["type"] == "proposal_tendered" and event["version"] == 4
    assert event["position"] is not None and body["position"] == event["position"]
    assert event["data"]["tendered_to"] == ["UA"]
    assert event["occurred_at"].startswith("2025-02-12T15:00:00")


def test_posted_event_reads_back_in_the_same_shape(client: TestClient) -> None:
    deal = open_deal(client)
    posted = tender()

    post_events(client, deal["deal_id"], posted)
    stored = history(client, deal["deal_id"])[-1]

    repost = {"type": stored["type"], **stored["data"]}
    for key, value in posted.items():
        if key != "occurred_at":
            assert repost[key] == value
    assert stored["data"]["occurred_at"] == stored["occurred_at"]


def test_batch_is_atomic_when_one_event_is_refused(client: TestClient) -> None:
    deal = open_deal(client)
    batch = [tender(), {"type": "signature_added", "party_id": "US"}]

    response = post_events(client, deal["deal_id"], batch)

    assert response.status_code == 409
    assert len(history(client, deal["deal_id"])) == 3
    assert client.get(f"/deals/{deal['deal_id']}").json()["status"] == "draft"


def test_batch_appends_every_event_in_one_go(client: TestClient) -> None:
    deal = open_deal(client)
    batch = [tender(), {"type": "signing_withheld", "by_party": "UA", "occurred_at": "2025-02-15T12:00:00+01:00"}]

    response = post_events(client, deal["deal_id"], batch)

    assert response.status_code == 201
    assert [e["version"] for e in response.json()["events"]] == [4, 5]
    assert client.get(f"/deals/{deal['deal_id']}").json()["status"] == "signing_withheld"


def test_stale_if_match_is_412_with_current_version(client: TestClient) -> None:
    deal = open_deal(client)
    post_events(client, deal["deal_id"], tender())

    response = post_events(client, deal["deal_id"], {"type": "negotiation_opened"}, **{"If-Match": '"3"'})

    assert response.status_code == 412
    assert response.headers["etag"] == '"4"'
    assert response.json()["current_version"] == 4
    assert len(history(client, deal["deal_id"])) == 4


def test_matching_if_match_is_accepted(client: TestClient) -> None:
    deal = open_deal(client)
    response = post_events(client, deal["deal_id"], tender(), **{"If-Match": '"3"'})
    assert response.status_code == 201


def test_malformed_if_match_is_422_naming_the_header(client: TestClient) -> None:
    deal = open_deal(client)
    response = post_events(client, deal["deal_id"], tender(), **{"If-Match": "yesterday"})
    assert response.status_code == 422
    assert response.json()["field"] == "If-Match"


def test_illegal_transition_is_409_with_state_and_allowed_events(client: TestClient) -> None:
    deal = open_deal(client)

    response = post_events(client, deal["deal_id"], {"type": "signature_added", "party_id": "US"})

    assert response.status_code == 409
    problem = response.json()
    assert response.headers["content-type"] == PROBLEM
    assert problem["code"] == "illegal_transition"
    assert problem["current_status"] == "draft"
    assert problem["attempted_event"] == "signature_added"
    assert "proposal_tendered" in problem["allowed_events"]


def test_invalid_body_is_422_naming_the_field(client: TestClient) -> None:
    deal = open_deal(client)

    missing = post_events(client, deal["deal_id"], {"type": "signing_withheld"})
    unknown_type = post_events(client, deal["deal_id"], {"type": "treaty_burned"})
    naive_time = post_events(client, deal["deal_id"], {**tender(), "occurred_at": "2025-02-12T15:00:00"})

    assert missing.status_code == 422 and missing.json()["errors"][0]["field"] == "by_party"
    assert unknown_type.status_code == 422 and unknown_type.json()["errors"][0]["field"] == "type"
    assert naive_time.status_code == 422 and naive_time.json()["errors"][0]["field"] == "occurred_at"


def test_reference_to_unknown_party_is_422(client: TestClient) -> None:
    deal = open_deal(client)
    response = post_events(client, deal["deal_id"], tender(to="FR"))
    assert response.status_code == 422
    assert response.json()["party_id"] == "FR"


def test_state_change_dated_before_the_last_one_is_refused(client: TestClient) -> None:
    deal = open_deal(client)
    post_events(client, deal["deal_id"], tender())

    response = post_events(client, deal["deal_id"],
                           {"type": "negotiation_opened", "occurred_at": "2025-02-01T00:00:00+00:00"})

    assert response.status_code == 409
    assert response.json()["code"] == "out_of_order"


def test_history_pages_by_version(client: TestClient) -> None:
    deal = open_deal(client)
    post_events(client, deal["deal_id"], tender())

    first = client.get(f"/deals/{deal['deal_id']}/events", params={"limit": 2}).json()
    second = client.get(f"/deals/{deal['deal_id']}/events",
                        params={"limit": 2, "after_version": first["next_after_version"]}).json()

    assert [e["version"] for e in first["items"]] == [1, 2]
    assert [e["version"] for e in second["items"]] == [3, 4]
    assert len({e["event_id"] for e in first["items"] + second["items"]}) == 4


def test_list_deals_includes_opened_deals(client: TestClient) -> None:
    first = open_deal(client)
    opened = client.post("/deals", json={**OPENING, "title": "Second deal"})
    second = opened.json()
    # The list is a projection of the log: ask it to include this write.
    items = client.get("/deals", params={"min_position": opened.headers["Deals-Position"]}).json()["items"]
    assert {first["deal_id"], second["deal_id"]} <= {i["deal_id"] for i in items}


def test_openapi_has_an_example_for_every_event_type(client: TestClient) -> None:
    from domain import EVENT_CLASSES

    spec = client.get("/openapi.json").json()
    body = spec["paths"]["/deals/{deal_id}/events"]["post"]["requestBody"]["content"]["application/json"]
    examples = body["examples"]
    assert set(EVENT_CLASSES) - {"deal_opened"} <= set(examples)
