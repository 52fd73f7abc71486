"""Every route in the OpenAPI document, against a real server with keys: no key → 401, a key without the route's
scope → 403, the right scope → neither; all refusals problem+json. The open routes answer without a key."""

from __future__ import annotations

import uuid
from pathlib import Path
from typing import Any

import httpx
import pytest
from fastapi.testclient import TestClient

from service.api.main import create_app
from service.http.openapi import operations
from service.security.keys import KeyConfigError, KeyRing, hash_key, parse_entries
from service.security.openapi import SCHEME
from service.security.scopes import OPEN_PATHS, SCOPES, required_scope
from service.settings import Settings
from tests.hardening.keys import KeySet, bearer
from tests.reliability.servers import ApiServer

PROBLEM = "application/problem+json"


@pytest.fixture(scope="module")
def keys() -> KeySet:
    return KeySet()


@pytest.fixture(scope="module")
def server(keys: KeySet, tmp_path_factory: pytest.TempPathFactory) -> ApiServer:
    tmp = tmp_path_factory.mktemp("auth")
    with ApiServer(tmp / "api.log", database_url=f"sqlite:///{tmp}/deals.db", api_keys=keys.entries) as api:
        yield api


def concrete(path: str, op: dict[str, Any]) -> str:
    """The template with each path parameter filled by a value of its type."""
    for param in op.get("parameters", []):
        if param.get("in") != "path":
            continue
        schema = param.get("schema", {})
        value = "1" if schema.get("type") == "integer" else str(uuid.uuid4())
        path = path.replace("{" + param["name"] + "}", value)
    return path


def status_of(client: httpx.Client, method: str, url: str, headers: dict[str, str]) -> httpx.Response:
    """Only the status line and headers matter: streams (server-sent events) are left unread."""
    with client.stream(method.upper(), url, headers=headers, json={} if method in ("post", "put", "patch") else None,
                       timeout=20) as response:
        if response.headers.get("content-type", "").startswith(PROBLEM):
            response.read()
        return response


def assert_problem(response: httpx.Response, status: int, code: str) -> None:
    assert response.status_code == status, (response.request.url, response.status_code)
    assert response.headers["content-type"].startswith(PROBLEM)
    assert response.json()["code"] == code
    assert "Bearer" in response.headers["www-authenticate"]


def test_every_route_needs_the_scope_it_declares(server: ApiServer, keys: KeySet) -> None:
    with httpx.Client(base_url=server.url) as client:
        schema = client.get("/openapi.json").json()
        ops = operations(schema)
        assert len(ops) >= 5
        for path, method, op in ops:
            url = concrete(path, op)
            needed = required_scope(method.upper(), path)
            if needed is None:
                assert op["security"] == []
                assert status_of(client, method, url, {}).status_code not in (401, 403), url
                continue
            assert op["security"] == [{SCHEME: [needed]}], (method, path)
            assert {"401", "403"} <= set(op["responses"]), (method, path)
            assert_problem(status_of(client, method, url, {}), 401, "missing_credentials")
            assert_problem(status_of(client, method, url, bearer(keys.unknown)), 401, "invalid_credentials")
            for key in keys.lacking(needed).values():
                refused = status_of(client, method, url, bearer(key))
                assert_problem(refused, 403, "insufficient_scope")
                assert refused.json()["required_scope"] == needed
            for key in (keys.by_scope[needed], keys.everything):
                allowed = status_of(client, method, url, bearer(key))
                assert allowed.status_code not in (401, 403), (method, url, allowed.status_code)


def test_openapi_declares_the_bearer_scheme_and_the_open_routes(server: ApiServer) -> None:
    schema = httpx.get(f"{server.url}/openapi.json").json()
    scheme = schema["components"]["securitySchemes"][SCHEME]
    assert (scheme["type"], scheme["scheme"]) == ("http", "bearer")
    open_ops = {path for path, _, op in operations(schema) if op["security"] == []}
    assert open_ops == {"/healthz", "/readyz", "/metrics"}
    assert {"/healthz", "/readyz", "/metrics", "/openapi.json", "/docs"} <= OPEN_PATHS


def test_a_key_with_the_scope_reads_and_writes_through_the_server(server: ApiServer, keys: KeySet) -> None:
    with httpx.Client(base_url=server.url) as client:
        opened = client.post("/deals", json={"title": "keyed deal"}, headers=bearer(keys.by_scope["deals:write"]))
        assert opened.status_code == 201, opened.text
        read = client.get(opened.headers["location"], headers=bearer(keys.by_scope["deals:read"]))
        assert read.status_code == 200
        assert read.json()["title"] == "keyed deal"
        assert client.get(opened.headers["location"], headers=bearer(keys.by_scope["deals:write"])).status_code == 403


def test_no_keys_means_open_so_the_other_suites_run_unchanged(sqlite_settings: Settings) -> None:
    with TestClient(create_app(sqlite_settings)) as client:
        assert client.post("/deals", json={"title": "open"}).status_code == 201
        assert client.get("/deals").status_code == 200


def test_the_keys_file_is_read_with_comments_and_labels(tmp_path: Path) -> None:
    file = tmp_path / "keys"
    file.write_text(f"# operators\n{hash_key('k1')} deals:read,deals:write alice\n\n{hash_key('k2')} webhooks:admin\n")
    ring = KeyRing.load(None, file)
    assert len(ring) == 2
    assert ring.lookup("k1").scopes == frozenset({"deals:read", "deals:write"})
    assert ring.lookup("k1").label == "alice"
    assert ring.lookup("k3") is None


@pytest.mark.parametrize(
    ("entry", "reason"),
    [
        ("dk_not-a-hash deals:read", "SHA-256"),
        (f"{hash_key('k')} deals:delete", "unknown scope deals:delete"),
        (f"{hash_key('k')}", "expected"),
    ],
)
def test_bad_key_entries_are_refused_with_the_reason(entry: str, reason: str) -> None:
    with pytest.raises(KeyConfigError, match=reason):
        parse_entries(entry, "DEALS_API_KEYS")


def test_a_keys_file_that_cannot_be_read_stops_the_app(tmp_path: Path) -> None:
    settings = Settings(database_url=f"sqlite:///{tmp_path}/deals.db", api_keys_file=tmp_path / "missing")
    with pytest.raises(KeyConfigError, match="cannot be read"):
        create_app(settings)


def test_scopes_follow_method_and_path_for_routes_nobody_listed() -> None:
    assert required_scope("GET", "/projections/anything") == "deals:read"
    assert required_scope("HEAD", "/events") == "deals:read"
    assert required_scope("DELETE", "/deals/x") == "deals:write"
    assert required_scope("GET", "/webhooks") == "webhooks:admin"
    assert required_scope("POST", "/some/new/route") == "deals:write"
    assert required_scope("GET", "/metrics") is None
    assert set(SCOPES) == {"deals:read", "deals:write", "webhooks:admin"}
