"""Builders for the replay tests: the Munich story through the API, and reads of the deal at a cut."""

from __future__ import annotations

from typing import Any

from fastapi.testclient import TestClient
from psycopg.sql import SQL

from service.entrypoints.demo import OPENING, STORY

END_OF_14_FEB = "2025-02-14T23:59:59+01:00"
WITHHOLDING = "2025-02-15T12:00:00+01:00"  # signing withheld, and the first condition raised at the same time
END_OF_16_FEB = "2025-02-16T23:59:59+01:00"


def open_story(client: TestClient) -> str:
    response = client.post("/deals", json=OPENING)
    assert response.status_code == 201, response.text
    return response.json()["deal_id"]


def post(client: TestClient, deal_id: str, *events: dict[str, Any]) -> dict[str, Any]:
    response = client.post(f"/deals/{deal_id}/events", json=list(events))
    assert response.status_code == 201, response.text
    return response.json()


def record_story(client: TestClient) -> str:
    deal_id = open_story(client)
    post(client, deal_id, *STORY)
    return deal_id


def deal_at(client: TestClient, deal_id: str, **params: Any) -> dict[str, Any]:
    response = client.get(f"/deals/{deal_id}", params=params)
    assert response.status_code == 200, response.text
    return response.json()


def problem(client: TestClient, url: str, **params: Any) -> dict[str, Any]:
    response = client.get(url, params=params)
    assert response.headers["content-type"] == "application/problem+json", response.text
    return {"status": response.status_code, **response.json()}


def forget_feed_json(app: Any, *positions: int) -> None:
    """As a store written before the feed kept each event's JSON (all of it, or at these positions)."""
    recorder = app.recorder
    where = f" WHERE position IN ({','.join(str(int(p)) for p in positions)})" if positions else ""
    with recorder.datastore.transaction(commit=True) as cursor:
        if hasattr(recorder, "feed"):  # PostgreSQL: a schema-qualified identifier
            cursor.execute(SQL("DELETE FROM {}").format(recorder.feed) + SQL(where))  # type: ignore[arg-type]
        else:
            cursor.execute(f"DELETE FROM {recorder.feed_table}{where}")
