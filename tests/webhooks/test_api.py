"""The /webhooks management API: create (secret shown once), read, update, disable/enable, delete, rotate, and the
refusals: unsafe URLs (SSRF), unknown event types, unknown ids."""

from __future__ import annotations

import uuid
from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient

from service.api.main import create_app
from service.settings import Settings
from tests.webhooks.helpers import subscribe

PROBLEM = "application/problem+json"
RECEIVER = "http://127.0.0.1:9/hook"


@pytest.fixture
def api(wh_settings: Settings) -> Iterator[TestClient]:
    """Management only: nothing is sent, so the background work stays off."""
    with TestClient(create_app(wh_settings.model_copy(update={"run_background": False}))) as client:
        yield client


@pytest.fixture
def strict_api(base_settings: Settings) -> Iterator[TestClient]:
    """Loopback not allowed, as in production."""
    with TestClient(create_app(base_settings.model_copy(update={"run_background": False}))) as client:
        yield client


def test_create_answers_201_with_location_and_the_secret_once(api: TestClient) -> None:
    response = api.post("/webhooks", json={"url": RECEIVER, "description": "desk", "event_types": ["deal.*"]})

    assert response.status_code == 201
    body = response.json()
    assert response.headers["location"] == f"/webhooks/{body['id']}"
    assert body["secret"].startswith("whsec_")
    assert body["enabled"] is True
    assert body["event_types"] == ["deal.*"]
    assert body["deal_ids"] is None
    read = api.get(f"/webhooks/{body['id']}").json()
    assert "secret" not in read
    assert all("secret" not in item for item in api.get("/webhooks").json()["items"])


def test_filters_default_to_every_event_of_every_deal(api: TestClient) -> None:
    body = subscribe(api, RECEIVER)

    assert (body["event_types"], body["deal_ids"]) == (["*"], None)


@pytest.mark.parametrize(
    ("url", "reason"),
    [
        ("http://127.0.0.1:8080/hook", "loopback"),
        ("http://localhost:8080/hook", "loopback"),
        ("http://[::1]/hook", "loopback"),
        ("http://10.0.0.7/hook", "private"),
        ("http://169.254.169.254/latest/meta-data", "link-local"),
        ("http://100.64.1.1/hook", "carrier-grade NAT"),
        ("http://[::ffff:192.168.0.1]/hook", "private"),
        ("http://0.0.0.0/hook", "unspecified"),
        ("ftp://example.com/hook", "http or https"),
        ("https://user:secret@example.com/hook", "credentials"),
    ],
)
def test_a_url_reaching_an_internal_address_is_refused_at_creation(
    strict_api: TestClient, url: str, reason: str
) -> None:
    response = strict_api.post("/webhooks", json={"url": url})

    assert response.status_code == 422
    assert response.headers["content-type"] == PROBLEM
    problem = response.json()
    assert (problem["code"], problem["field"]) == ("unsafe_url", "url")
    assert reason in problem["reason"]
    assert strict_api.get("/webhooks").json()["items"] == []


def test_an_update_to_an_internal_url_is_refused_too(strict_api: TestClient, base_settings: Settings) -> None:
    with TestClient(create_app(base_settings.model_copy(update={"webhook_allow_loopback": True,
                                                                "run_background": False}))) as local:
        endpoint = subscribe(local, RECEIVER)

    response = strict_api.patch(f"/webhooks/{endpoint['id']}", json={"url": "http://192.168.1.10/hook"})

    assert response.status_code == 422
    assert response.json()["code"] == "unsafe_url"
    assert strict_api.get(f"/webhooks/{endpoint['id']}").json()["url"] == RECEIVER


def test_an_unknown_event_type_is_refused_naming_the_field(api: TestClient) -> None:
    response = api.post("/webhooks", json={"url": RECEIVER, "event_types": ["deal.*", "deal.signing_withheldd"]})

    assert response.status_code == 422
    assert response.json()["field"] == "event_types[1]"
    assert "deal.signing_withheldd" in response.json()["reason"]


def test_update_changes_only_the_fields_sent(api: TestClient) -> None:
    endpoint = subscribe(api, RECEIVER, description="desk", event_types=["deal.signature_added"])
    deal = str(uuid.uuid4())

    response = api.patch(f"/webhooks/{endpoint['id']}", json={"deal_ids": [deal]})

    assert response.status_code == 200
    assert response.json()["deal_ids"] == [deal]
    assert response.json()["description"] == "desk"
    assert response.json()["event_types"] == ["deal.signature_added"]
    cleared = api.patch(f"/webhooks/{endpoint['id']}", json={"deal_ids": None, "description": None}).json()
    assert (cleared["deal_ids"], cleared["description"]) == (None, None)


def test_disable_and_enable(api: TestClient) -> None:
    endpoint = subscribe(api, RECEIVER)

    disabled = api.post(f"/webhooks/{endpoint['id']}/disable").json()
    enabled = api.post(f"/webhooks/{endpoint['id']}/enable").json()

    assert (disabled["enabled"], disabled["disabled_reason"]) == (False, "disabled by a client")
    assert (enabled["enabled"], enabled["disabled_reason"], enabled["disabled_at"]) == (True, None, None)


def test_delete_answers_204_and_the_endpoint_is_gone(api: TestClient) -> None:
    endpoint = subscribe(api, RECEIVER)

    assert api.delete(f"/webhooks/{endpoint['id']}").status_code == 204
    assert api.get(f"/webhooks/{endpoint['id']}").status_code == 404
    assert api.get("/webhooks").json()["items"] == []


def test_rotation_issues_a_new_secret_and_keeps_the_old_one_for_the_grace_period(api: TestClient) -> None:
    endpoint = subscribe(api, RECEIVER)

    rotated = api.post(f"/webhooks/{endpoint['id']}/rotate-secret", json={"grace_period_seconds": 3600})

    assert rotated.status_code == 200
    assert rotated.json()["secret"].startswith("whsec_")
    assert rotated.json()["secret"] != endpoint["secret"]
    assert rotated.json()["previous_secret_expires_at"] is not None
    assert api.get(f"/webhooks/{endpoint['id']}").json()["previous_secret_expires_at"] is not None


def test_unknown_endpoints_and_deliveries_are_404_problems(api: TestClient) -> None:
    missing = uuid.uuid4()
    endpoint = subscribe(api, RECEIVER)
    for response in (api.get(f"/webhooks/{missing}"), api.patch(f"/webhooks/{missing}", json={}),
                     api.delete(f"/webhooks/{missing}"), api.post(f"/webhooks/{missing}/test"),
                     api.get(f"/webhooks/{missing}/deliveries")):
        assert response.status_code == 404
        assert response.json()["code"] == "webhook_not_found"
    response = api.post(f"/webhooks/{endpoint['id']}/deliveries/999/retry")
    assert response.status_code == 404
    assert response.json()["code"] == "delivery_not_found"


@pytest.mark.parametrize("body", [{}, {"from_position": 1, "since": "2025-01-01T00:00:00Z"}])
def test_recover_needs_exactly_one_of_position_and_time(api: TestClient, body: dict) -> None:
    endpoint = subscribe(api, RECEIVER)

    response = api.post(f"/webhooks/{endpoint['id']}/recover", json=body)

    assert response.status_code == 422
    assert response.json()["field"] == "from_position"


def test_recover_refuses_a_range_that_ends_before_it_starts(api: TestClient) -> None:
    endpoint = subscribe(api, RECEIVER)

    response = api.post(f"/webhooks/{endpoint['id']}/recover", json={"from_position": 5, "until_position": 4})

    assert response.status_code == 422
    assert response.json()["field"] == "until_position"


def test_a_bad_cursor_is_a_422_naming_it(api: TestClient) -> None:
    endpoint = subscribe(api, RECEIVER)

    response = api.get(f"/webhooks/{endpoint['id']}/deliveries", params={"cursor": "abc"})

    assert response.status_code == 422
    assert response.json()["field"] == "cursor"


def test_the_openapi_document_describes_the_routes_and_the_payloads(api: TestClient) -> None:
    document = api.get("/openapi.json").json()

    assert "/webhooks/{endpoint_id}/recover" in document["paths"]
    assert "deal-event" in document["webhooks"]
    create = document["paths"]["/webhooks"]["post"]
    assert create["requestBody"]["content"]["application/json"]["examples"]
    assert "422" in create["responses"]
