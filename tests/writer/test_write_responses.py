"""The POST routes write their bodies with orjson, skipping response-model validation: the bodies must still be
exactly what the response models describe, and what the GET routes answer for the same state."""

from __future__ import annotations

from fastapi.testclient import TestClient

from service.api import schemas
from tests.api.helpers import history, open_deal, post_events, tender


def test_opened_deal_body_matches_the_model_and_a_later_read(client: TestClient) -> None:
    opened = open_deal(client)

    assert schemas.DealOut.model_validate(opened).model_dump(mode="json") == opened
    assert client.get(f"/deals/{opened['deal_id']}").json() == opened


def test_appended_events_body_matches_the_model_and_the_history(client: TestClient) -> None:
    deal = open_deal(client)

    response = post_events(client, deal["deal_id"], [tender(), {"type": "negotiation_opened"}])

    body = response.json()
    assert response.status_code == 201 and response.headers["content-type"] == "application/json"
    assert schemas.Recorded.model_validate(body).model_dump(mode="json") == body
    assert body["events"] == history(client, deal["deal_id"])[-2:]
