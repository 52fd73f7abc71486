"""Small builders for API tests."""

from __future__ import annotations

from typing import Any

from fastapi.testclient import TestClient

from service.entrypoints.demo import OPENING


def open_deal(client: TestClient, **overrides: Any) -> dict[str, Any]:
    response = client.post("/deals", json={**OPENING, **overrides})
    assert response.status_code == 201, response.text
    return response.json()


def post_events(client: TestClient, deal_id: str, body: Any, **headers: str) -> Any:
    return client.post(f"/deals/{deal_id}/events", json=body, headers=headers)


def tender(proposal_id: str = "v1", by: str = "US", to: str = "UA", at: str = "2025-02-12T15:00:00+02:00") -> dict:
    return {"type": "proposal_tendered", "proposal_id": proposal_id, "tendered_by": by, "tendered_to": [to],
            "terms": ["minerals access"], "occurred_at": at}


def history(client: TestClient, deal_id: str) -> list[dict[str, Any]]:
    response = client.get(f"/deals/{deal_id}/events", params={"limit": 1000})
    assert response.status_code == 200, response.text
    return response.json()["items"]
