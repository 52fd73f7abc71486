"""What one request may send: bodies past DEALS_MAX_BODY_BYTES are refused with 413 however they arrive, URLs past
their limit with 414, and every string, list and page in the public contract has a bound."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from fastapi.testclient import TestClient

from service.api.main import create_app
from service.api.schemas import MAX_INT
from service.http.limits import MAX_QUERY_BYTES
from service.http.openapi import operations
from service.settings import Settings
from tests.hardening.metrics_text import sample
from tests.reliability.servers import ApiServer

LIMIT = 4096
PROBLEM = "application/problem+json"
# A pattern anchored at both ends whose every repetition is bounded also bounds the length.
BOUNDED_PATTERN = re.compile(r"^\^(?:[^*+]|\\[*+])*\$$")


@pytest.fixture
def small(sqlite_settings: Settings) -> Iterator[TestClient]:
    with TestClient(create_app(sqlite_settings.model_copy(update={"max_body_bytes": LIMIT}))) as client:
        yield client



def test_a_body_declared_too_large_is_refused_before_it_is_read(small: TestClient) -> None:
    before = sample(small.get("/metrics").text, "deals_events_appended_total", type="deal_opened")
    response = small.post("/deals", json={"title": "x" * LIMIT})
    assert sample(small.get("/metrics").text, "deals_events_appended_total", type="deal_opened") == before
    assert response.status_code == 413
    assert response.headers["content-type"].startswith(PROBLEM)
    assert response.json()["code"] == "body_too_large"
    assert response.json()["max_bytes"] == LIMIT


def test_a_body_within_the_limit_goes_through(small: TestClient) -> None:
    assert small.post("/deals", json={"title": "x", "summary": "s" * 3000}).status_code == 201


def test_an_url_past_its_limit_is_refused_with_414(small: TestClient) -> None:
    response = small.get("/deals", params={"text": "y" * (MAX_QUERY_BYTES + 1)})
    assert response.status_code == 414
    assert response.json()["code"] == "uri_too_long"


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ApiServer]:
    tmp = tmp_path_factory.mktemp("limits")
    with ApiServer(tmp / "api.log", database_url=f"sqlite:///{tmp}/deals.db", max_body_bytes=str(LIMIT)) as api:
        yield api


def chunks(total: int, size: int = 1000) -> Iterator[bytes]:
    """A JSON body sent in chunks with no Content-Length (Transfer-Encoding: chunked)."""
    body = b'{"title": "t", "summary": "' + b"z" * (total - 28) + b'"}'
    for start in range(0, len(body), size):
        yield body[start:start + size]


def test_a_chunked_body_is_counted_as_it_arrives(server: ApiServer) -> None:
    with httpx.Client(base_url=server.url) as client:
        refused = client.post("/deals", content=chunks(LIMIT * 3), headers={"content-type": "application/json"})
        assert refused.status_code == 413
        assert refused.headers["content-type"].startswith(PROBLEM)
        assert "content-length" not in refused.request.headers
        accepted = client.post("/deals", content=chunks(LIMIT // 2), headers={"content-type": "application/json"})
        assert accepted.status_code == 201, accepted.text
        assert client.get(accepted.headers["location"]).json()["summary"].startswith("zzz")
        assert sample(client.get("/metrics").text, "deals_events_appended_total", type="deal_opened") == 1


def _bounded_string(schema: dict[str, Any]) -> bool:
    return bool({"maxLength", "enum", "const"} & set(schema)) or schema.get("format") in ("uuid", "date-time", "date") \
        or bool(BOUNDED_PATTERN.match(schema.get("pattern", "")))


def bounds_missing(schema: dict[str, Any], components: dict[str, Any], where: str, seen: frozenset[str]) -> list[str]:
    """Every string, list and map a client can send without a bound on its size, and every integer without a
    minimum and a maximum that both databases store."""
    if "$ref" in schema:
        name = schema["$ref"].rsplit("/", 1)[-1]
        if name in seen:
            return []
        return bounds_missing(components[name], components, where, seen | {name})
    gaps = [g for key in ("anyOf", "oneOf", "allOf") for sub in schema.get(key, [])
            for g in bounds_missing(sub, components, where, seen)]
    kind = schema.get("type")
    if kind == "integer" and not ("minimum" in schema and schema.get("maximum", MAX_INT + 1) <= MAX_INT):
        gaps.append(f"{where}: integer without bounds a 64-bit signed column holds")
    if kind == "integer" and not all(isinstance(schema.get(k, 0), int) for k in ("minimum", "maximum")):
        gaps.append(f"{where}: integer bounds written as floats")
    if kind == "string" and not _bounded_string(schema):
        gaps.append(f"{where}: string without maxLength")
    if kind == "array":
        if "maxItems" not in schema:
            gaps.append(f"{where}: list without maxItems")
        gaps += bounds_missing(schema.get("items", {}), components, f"{where}[]", seen)
    for name, sub in schema.get("properties", {}).items():
        gaps += bounds_missing(sub, components, f"{where}.{name}", seen)
    extra = schema.get("additionalProperties")
    if isinstance(extra, dict):
        if "maxProperties" not in schema:
            gaps.append(f"{where}: map without maxProperties")
        gaps += bounds_missing(extra, components, f"{where}.*", seen)
    return gaps


def test_every_body_field_and_page_size_has_a_bound(small: TestClient) -> None:
    schema = small.get("/openapi.json").json()
    components = schema["components"]["schemas"]
    gaps: list[str] = []
    pages = 0
    for path, method, op in operations(schema):
        for content in op.get("requestBody", {}).get("content", {}).values():
            gaps += bounds_missing(content.get("schema", {}), components, f"{method} {path} body", frozenset())
        for param in op.get("parameters", []):
            gaps += [g for g in bounds_missing(param["schema"], components, f"{method} {path} {param['in']} "
                                               f"{param['name']}", frozenset()) if "integer" in g]
            if param["in"] == "query" and param["name"] in ("limit", "page_size"):
                pages += 1
                if "maximum" not in param["schema"]:
                    gaps.append(f"{method} {path}: {param['name']} without maximum")
    assert pages >= 2
    assert gaps == []


def test_an_integer_past_its_bound_is_a_422_naming_it_and_the_largest_is_no_500(settings: Settings) -> None:
    local = settings.model_copy(update={"run_background": False, "webhook_allow_loopback": True})
    with TestClient(create_app(local)) as client:
        endpoint = client.post("/webhooks", json={"url": "http://127.0.0.1:9/hook"}).json()["id"]
        deal = client.post("/deals", json={"title": "t", "parties": [
            {"party_id": "US", "name": "United States", "roles": ["proposer"]}]}).json()["deal_id"]
        past, largest = MAX_INT + 1, MAX_INT
        cases = [
            ("POST", f"/webhooks/{endpoint}/recover", {"json": {"from_position": "{n}"}}, "from_position"),
            ("GET", f"/webhooks/{endpoint}/deliveries/{{n}}", {}, "delivery_id"),
            ("POST", f"/deals/{deal}/events", {"json": {"type": "statement_recorded", "quote": "q",
                                                         "speaker": {"title": "aide"}, "about_version": "{n}"}},
             "about_version"),
            ("GET", "/log/checkpoints?before={n}", {}, "before"),
            ("GET", f"/deals/{deal}/diff?from={{n}}", {}, "from"),
        ]
        for method, url, kwargs, field in cases:
            for n in (past, largest):
                body = json.loads(json.dumps(kwargs.get("json", {})).replace('"{n}"', str(n)))
                response = client.request(method, url.replace("{n}", str(n)), **({"json": body} if kwargs else {}))
                if n == past:
                    assert response.status_code == 422, (url, response.text)
                    assert field in response.text, (url, response.text)
                else:
                    assert response.status_code < 500, (url, n, response.text)


def test_the_body_limit_is_documented_on_writes(small: TestClient) -> None:
    schema = small.get("/openapi.json").json()
    writes = [op for _, method, op in operations(schema) if method in ("post", "put", "patch")]
    assert writes
    assert all("413" in op["responses"] for op in writes)


def test_pattern_bound_recognises_anchored_bounded_patterns() -> None:
    assert BOUNDED_PATTERN.match("^[0-9a-f]{64}$")
    assert not BOUNDED_PATTERN.match("^[A-Za-z0-9_.:\\-]+$")
    assert not BOUNDED_PATTERN.match("[0-9]{2}")


def test_settings_refuse_a_body_limit_too_small_to_open_a_deal(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="max_body_bytes"):
        Settings(database_url=f"sqlite:///{tmp_path}/d.db", max_body_bytes=10)
