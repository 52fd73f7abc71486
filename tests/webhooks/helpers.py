"""Small builders for webhook tests."""

from __future__ import annotations

from typing import Any

from fastapi.testclient import TestClient

from tests.api.helpers import open_deal, post_events


def subscribe(client: TestClient, url: str, **fields: Any) -> dict[str, Any]:
    response = client.post("/webhooks", json={"url": url, **fields})
    assert response.status_code == 201, response.text
    return response.json()


def statement(quote: str) -> dict[str, Any]:
    return {"type": "statement_recorded", "speaker": {"title": "spokesperson", "party_id": "US"}, "quote": quote}


def new_deal(client: TestClient) -> str:
    return open_deal(client)["deal_id"]


def record(client: TestClient, deal_id: str, *events: dict[str, Any]) -> list[dict[str, Any]]:
    """Append the events one request each; the recorded envelopes (event_id, version, position)."""
    recorded = []
    for event in events:
        response = post_events(client, deal_id, event)
        assert response.status_code == 201, response.text
        recorded.extend(response.json()["events"])
    return recorded


def event_ids(client: TestClient, deal_id: str) -> list[str]:
    response = client.get(f"/deals/{deal_id}/events", params={"limit": 1000})
    assert response.status_code == 200, response.text
    return [e["event_id"] for e in response.json()["items"]]


def deliveries(client: TestClient, endpoint_id: str, **params: Any) -> list[dict[str, Any]]:
    response = client.get(f"/webhooks/{endpoint_id}/deliveries", params={"limit": 500, **params})
    assert response.status_code == 200, response.text
    return response.json()["items"]
