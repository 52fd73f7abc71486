"""NUL and the other C0 control characters are refused in every string of every request, with a 422 naming the
field, on both backends: one such character accepted would stop the PostgreSQL deal list for good."""

from __future__ import annotations

import json

import pytest
from fastapi.testclient import TestClient

from tests.api.helpers import open_deal, post_events, tender


def refused_field(response) -> str:  # type: ignore[no-untyped-def]
    assert response.status_code == 422, response.text
    body = response.json()
    assert body["code"] == "invalid_request"
    assert body["errors"][0]["type"] == "control_character"
    return body["errors"][0]["field"]


def test_a_nul_in_a_title_is_refused_and_the_deal_list_goes_on(client: TestClient) -> None:
    assert refused_field(client.post("/deals", json={"title": "a\u0000b"})) == "title"
    opened = client.post("/deals", json={"title": "after the refusal"})

    listed = client.get("/deals", params={"min_position": opened.headers["Deals-Position"]}).json()["items"]

    assert [row["title"] for row in listed] == ["after the refusal"]


@pytest.mark.parametrize("char", ["\u0000", "\u0001", "\u0008", "\u000b", "\u001f"])
def test_every_c0_character_is_refused_in_an_events_text(client: TestClient, char: str) -> None:
    deal = open_deal(client)
    event = {**tender(), "terms": ["minerals access", f"revenue{char}share"]}

    assert refused_field(post_events(client, deal["deal_id"], event)) == "terms.1"


def test_the_field_of_an_event_in_a_list_is_named_by_its_place(client: TestClient) -> None:
    deal = open_deal(client)
    body = [tender("v1"), {**tender("v2"), "proposal_id": "v\u00002"}]

    assert refused_field(post_events(client, deal["deal_id"], body)) == "1.proposal_id"


def test_tab_and_newlines_stay_allowed_in_texts(client: TestClient) -> None:
    deal = open_deal(client)
    statement = {"type": "statement_recorded", "speaker": {"name": "Volodymyr Zelensky", "party_id": "UA"},
                 "quote": "Not ready.\n\tNot yet.\r\n", "occurred_at": "2025-02-15T10:00:00+01:00"}

    response = post_events(client, deal["deal_id"], statement)

    assert response.status_code == 201, response.text


def test_an_escaped_backslash_before_u0000_is_plain_text(client: TestClient) -> None:
    raw = json.dumps({"title": "literally \\u0000"}).encode()
    assert b"\\\\u0000" in raw

    response = client.post("/deals", content=raw, headers={"content-type": "application/json"})

    assert response.status_code == 201, response.text
    assert response.json()["title"] == "literally \\u0000"


@pytest.mark.parametrize(("query", "field"), [("q=a%00b", "q"), ("party=%00", "party"), ("awaiting=%1f", "awaiting")])
def test_control_characters_in_query_parameters_are_refused(client: TestClient, query: str, field: str) -> None:
    assert refused_field(client.get(f"/deals?{query}")) == field


def test_a_control_character_in_the_path_is_refused(client: TestClient) -> None:
    assert refused_field(client.get("/deals/a%00b")) == "path"


def test_a_control_character_in_a_header_is_refused(client: TestClient) -> None:
    response = client.post("/deals", json={"title": "t"}, headers={"Idempotency-Key": "key\u0001"})

    assert refused_field(response) == "idempotency-key"


@pytest.mark.parametrize("field", ["url", "description"])
def test_a_nul_in_a_webhook_subscription_is_refused(client: TestClient, field: str) -> None:
    body = {"url": "http://127.0.0.1:9/hook", "description": "ours"}
    body[field] = body[field] + "\u0000"

    assert refused_field(client.post("/webhooks", json=body)) == field
