"""A webhook secret is shown once: the answer kept for Idempotency-Key replays holds no secret (checked in the
stored key records), and a replay says so in `secret_withheld`, pointing to rotate-secret."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient

from service.api.main import create_app
from service.idempotency.record import key_id
from service.settings import Settings

RECEIVER = "http://127.0.0.1:9/hook"


@pytest.fixture
def api(wh_settings: Settings) -> Iterator[TestClient]:
    with TestClient(create_app(wh_settings.model_copy(update={"run_background": False}))) as client:
        yield client


def _stored_states(api: TestClient, path: str, key: str) -> bytes:
    deals = api.app.state.deals  # type: ignore[attr-defined]
    stored = deals.recorder.select_key_events(key_id("open", "POST", path, key))
    assert stored, "the answer was kept"
    return b"".join(s.state for s in stored)


def test_a_replayed_create_holds_no_secret_and_points_to_rotate_secret(api: TestClient) -> None:
    headers = {"Idempotency-Key": "create-hook-1"}
    first = api.post("/webhooks", json={"url": RECEIVER}, headers=headers)
    again = api.post("/webhooks", json={"url": RECEIVER}, headers=headers)

    created = first.json()
    assert first.status_code == 201 and created["secret"].startswith("whsec_")
    assert created["secret_withheld"] is None
    assert again.status_code == 201 and again.headers["idempotent-replayed"] == "true"
    replayed = again.json()
    assert replayed["id"] == created["id"] and again.headers["location"] == f"/webhooks/{created['id']}"
    assert replayed["secret"] is None
    assert replayed["secret_withheld"]["rotate_secret"] == f"/webhooks/{created['id']}/rotate-secret"
    assert "shown once" in replayed["secret_withheld"]["reason"]
    assert created["secret"].encode() not in _stored_states(api, "/webhooks", "create-hook-1")
    assert len(api.get("/webhooks").json()["items"]) == 1


def test_a_replayed_rotation_holds_no_secret_either(api: TestClient) -> None:
    endpoint = api.post("/webhooks", json={"url": RECEIVER}).json()
    path = f"/webhooks/{endpoint['id']}/rotate-secret"

    first = api.post(path, headers={"Idempotency-Key": "rotate-1"})
    again = api.post(path, headers={"Idempotency-Key": "rotate-1"})

    assert first.status_code == 200 and first.json()["secret"].startswith("whsec_")
    assert again.headers["idempotent-replayed"] == "true" and again.json()["secret"] is None
    assert again.json()["secret_withheld"]["rotate_secret"] == path
    assert first.json()["secret"].encode() not in _stored_states(api, path, "rotate-1")
