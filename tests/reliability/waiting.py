"""Bounded waits for the background work that follows the log (read models, webhook delivery)."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

import httpx


def wait_for_projections(client: httpx.Client, seconds: float = 60) -> bool | None:
    """True once every projection listed by GET /projections has processed the whole log; False if one has not
    within `seconds`; None when the server has no /projections endpoint or no projection runs."""
    deadline = time.monotonic() + seconds
    items: list[dict[str, Any]] = []
    while True:
        response = client.get("/projections")
        if response.status_code == 404:
            return None
        if response.status_code == 200:
            items = response.json()["items"]
            if items and all(item["lag_events"] == 0 for item in items):
                return True
        if time.monotonic() > deadline:
            return False if items else None
        time.sleep(0.2)


def listed_versions(client: httpx.Client) -> dict[str, int]:
    """Each deal's version as the deal list (a read model, where there is one) shows it."""
    versions: dict[str, int] = {}
    params: dict[str, Any] = {"limit": 500}
    while True:
        response = client.get("/deals", params=params)
        assert response.status_code == 200, f"GET /deals: {response.status_code} {response.text[:500]}"
        page = response.json()
        versions.update({item["deal_id"]: item["version"] for item in page["items"]})
        if not page.get("next_cursor"):
            return versions
        params["cursor"] = page["next_cursor"]


def wait_until(done: Callable[[], Any], seconds: float) -> float | None:
    """Seconds until done() held, or None if it did not within `seconds`."""
    start = time.monotonic()
    while not done():
        if time.monotonic() - start > seconds:
            return None
        time.sleep(0.05)
    return time.monotonic() - start
