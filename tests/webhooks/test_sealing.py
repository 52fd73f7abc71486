"""With DEALS_CIPHER_KEY, signing secrets and queued payloads are stored encrypted (as the events are), deliveries
are still signed and readable, values stored before the key stay readable, and a sealed value read without the key
is an error naming the setting."""

from __future__ import annotations

import base64
import os
from collections.abc import Iterator
from typing import Any
from uuid import UUID

import pytest
from fastapi.testclient import TestClient
from pydantic import SecretStr

from service.api.main import create_app
from service.idempotency.record import key_id
from service.settings import Settings
from service.webhooks.component import close_store, open_store
from service.webhooks.sealing import SEALED, SealedWithoutKey
from tests.webhooks.helpers import new_deal, record, statement, subscribe
from tests.webhooks.receiver import Receiver, wait_for


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    with Receiver() as running:
        yield running


def _key() -> SecretStr:
    return SecretStr(base64.b64encode(os.urandom(32)).decode())


def _stored(settings: Settings) -> tuple[list[dict[str, Any]], list[str]]:
    """The endpoints' secret columns and the messages' bodies as stored."""
    store = open_store(settings)
    try:
        with store._transaction(commit=False) as cur:
            secrets = store._query(cur, "SELECT secret, previous_secret FROM {endpoints}")
            bodies = [r["body"] for r in store._query(cur, "SELECT body FROM {messages}")]
    finally:
        close_store(store)
    return secrets, bodies


def test_secrets_and_payloads_are_stored_sealed_and_deliveries_still_verify(
    wh_settings: Settings, receiver: Receiver
) -> None:
    settings = wh_settings.model_copy(update={"cipher_key": _key()})
    with TestClient(create_app(settings)) as api:
        endpoint = subscribe(api, receiver.url)
        rotated = api.post(f"/webhooks/{endpoint['id']}/rotate-secret").json()
        deal = new_deal(api)
        record(api, deal, statement("sealed at rest"))
        arrived = wait_for(lambda: [r for r in receiver.deal_events() if r.body.count(b"sealed at rest")])

    body = arrived[0].verified(rotated["secret"])
    arrived[0].verified(endpoint["secret"])  # the previous secret, still in its grace period
    secrets, bodies = _stored(settings)

    assert body["data"]["data"]["quote"] == "sealed at rest"
    assert [set(map(type, row.values())) for row in secrets] == [{str}]
    assert all(value.startswith(SEALED) for row in secrets for value in row.values())
    assert rotated["secret"] not in str(secrets) and endpoint["secret"] not in str(secrets)
    assert len(bodies) == 4 and all(b.startswith(SEALED) and "sealed at rest" not in b for b in bodies)
    without_key = settings.model_copy(update={"cipher_key": None})
    with pytest.raises(SealedWithoutKey, match="DEALS_CIPHER_KEY"):
        _endpoint(without_key, endpoint["id"])


def test_secrets_stored_before_the_key_was_set_are_sealed_at_start_and_still_sign(
    wh_settings: Settings, receiver: Receiver
) -> None:
    with TestClient(create_app(wh_settings)) as api:
        endpoint = subscribe(api, receiver.url)
        rotated = api.post(f"/webhooks/{endpoint['id']}/rotate-secret").json()
    plain, _ = _stored(wh_settings)
    keyed = wh_settings.model_copy(update={"cipher_key": _key()})

    with TestClient(create_app(keyed)) as api:
        new_deal(api)
        first = wait_for(lambda: receiver.deal_events())[0]
    sealed, _ = _stored(keyed)

    assert plain == [{"secret": rotated["secret"], "previous_secret": endpoint["secret"]}]
    assert all(value.startswith(SEALED) for value in sealed[0].values())
    assert rotated["secret"] not in str(sealed) and endpoint["secret"] not in str(sealed)
    first.verified(rotated["secret"])
    first.verified(endpoint["secret"])
    assert _endpoint(keyed, endpoint["id"]).secret == rotated["secret"]


def test_idempotency_answers_are_encrypted_with_the_key_as_the_readme_says(wh_settings: Settings) -> None:
    settings = wh_settings.model_copy(update={"cipher_key": _key(), "run_background": False})
    with TestClient(create_app(settings)) as api:
        marker = "marker-in-the-description"
        answer = api.post("/webhooks", json={"url": "http://127.0.0.1:9/hook", "description": marker},
                          headers={"Idempotency-Key": "sealed-1"})
        stored = api.app.state.deals.recorder.select_key_events(key_id("open", "POST", "/webhooks", "sealed-1"))

    assert answer.status_code == 201 and stored
    assert all(marker.encode() not in s.state and answer.json()["id"].encode() not in s.state for s in stored)


def _endpoint(settings: Settings, endpoint_id: str) -> Any:
    store = open_store(settings)
    try:
        return store.endpoint(UUID(endpoint_id))
    finally:
        close_store(store)
