"""HTTP edges a client or a proxy relies on: a 405 names every method the path takes."""

from __future__ import annotations

import uuid

import pytest
from fastapi.testclient import TestClient


@pytest.mark.parametrize(("method", "path", "allowed"), [
    ("OPTIONS", "/webhooks/{id}", "DELETE, GET, HEAD, PATCH"),
    ("PUT", "/webhooks/{id}", "DELETE, GET, HEAD, PATCH"),
    ("DELETE", "/deals", "GET, HEAD, POST"),
    ("PATCH", "/deals/{id}/events", "GET, HEAD, POST"),
    ("POST", "/log/checkpoint", "GET, HEAD"),
])
def test_a_405_lists_in_allow_every_method_the_path_takes(client: TestClient, method: str, path: str,
                                                          allowed: str) -> None:
    response = client.request(method, path.format(id=uuid.uuid4()))
    assert response.status_code == 405
    assert response.headers["allow"] == allowed
    assert response.headers["content-type"].startswith("application/problem+json")
    assert response.json()["code"] == "method_not_allowed"
