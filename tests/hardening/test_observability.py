"""Request ids, metrics, health and readiness, and the JSON access log of a real `deals serve`."""

from __future__ import annotations

import asyncio
import json
import re
import sqlite3
from collections.abc import Iterator
from contextlib import closing
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import httpx
import psycopg
import pytest
from fastapi.testclient import TestClient
from prometheus_client.parser import text_string_to_metric_families
from starlette.routing import Router

from service.api.main import create_app
from service.api.readiness import readiness
from service.http.request_log import RequestMiddleware
from service.observability import metrics
from service.security.keys import hash_key
from service.settings import Settings
from tests.api.helpers import open_deal, tender
from tests.hardening.keys import KeySet, bearer
from tests.hardening.metrics_text import sample
from tests.hardening.serving import deals_serve, wait_until_up


@pytest.fixture
def quiet(settings: Settings) -> Iterator[TestClient]:
    """The API without background work, so readiness depends only on what each test sets up."""
    with TestClient(create_app(settings.model_copy(update={"run_background": False}))) as client:
        yield client


def test_a_request_id_is_returned_kept_when_well_formed_replaced_otherwise(quiet: TestClient) -> None:
    made = quiet.get("/healthz").headers["x-request-id"]
    assert len(made) == 32 and int(made, 16) >= 0
    assert quiet.get("/healthz", headers={"X-Request-ID": "client-42.a:b"}).headers["x-request-id"] == "client-42.a:b"
    replaced = quiet.get("/healthz", headers={"X-Request-ID": "no spaces {allowed}"}).headers["x-request-id"]
    assert replaced != "no spaces {allowed}" and len(replaced) == 32
    assert quiet.get(f"/deals/{'0' * 32}").headers["x-request-id"]


def test_metrics_count_appended_events_latency_by_route_and_conflicts(quiet: TestClient) -> None:
    before = quiet.get("/metrics").text
    deal = open_deal(quiet)
    url = f"/deals/{deal['deal_id']}/events"
    assert quiet.post(url, json=tender(), headers={"If-Match": f'"{deal["version"]}"'}).status_code == 201
    stale = quiet.post(url, json=tender(proposal_id="v2"), headers={"If-Match": f'"{deal["version"]}"'})
    assert stale.status_code == 412
    after = quiet.get("/metrics").text

    def grew(name: str, **labels: str) -> float:
        return sample(after, name, **labels) - sample(before, name, **labels)

    assert grew("deals_events_appended_total", type="deal_opened") == 1
    assert grew("deals_events_appended_total", type="party_joined") == len(deal["parties"])
    assert grew("deals_events_appended_total", type="proposal_tendered") == 1
    assert grew("deals_version_conflicts_total", code="stale_version") == 1
    route = {"method": "POST", "route": "/deals/{deal_id}/events"}
    assert grew("deals_http_request_duration_seconds_count", status="201", **route) == 1
    assert grew("deals_http_request_duration_seconds_count", status="412", **route) == 1
    assert sample(after, "deals_event_log_position") == quiet.app.state.deals.recorder.max_notification_id()  # type: ignore[attr-defined]


def test_health_and_readiness_answer_without_a_key(sqlite_settings: Settings) -> None:
    keyed = sqlite_settings.model_copy(update={"api_keys": KeySet().entries, "run_background": False})
    with TestClient(create_app(keyed)) as client:
        assert client.get("/healthz").json() == {"status": "ok"}
        ready = client.get("/readyz")
        assert ready.status_code == 200
        assert ready.json()["checks"]["database"]["status"] == "ok"
        assert client.get("/metrics").status_code == 200
        assert client.get("/deals").status_code == 401


def add_tracking(settings: Settings, name: str, position: int) -> None:
    """A projection's tracking table, as the library's tracking recorders write it, standing at `position`."""
    if settings.is_postgres:
        with psycopg.connect(settings.database_url, autocommit=True) as conn:
            table = f"{settings.postgres_schema}.{name}_tracking"
            conn.execute(f"CREATE TABLE {table} (application_name text, notification_id bigint)")
            conn.execute(f"INSERT INTO {table} VALUES ('Deals', %s)", (position,))
        return
    with closing(sqlite3.connect(settings.sqlite_file(name))) as conn, conn:
        conn.execute("CREATE TABLE tracking (application_name TEXT, notification_id INTEGER)")
        conn.execute("INSERT INTO tracking VALUES ('Deals', ?)", (position,))


def test_readiness_fails_on_a_projection_past_its_bound_and_only_reports_a_webhook_queue_past_its_own(
        settings: Settings) -> None:
    bounded = settings.model_copy(update={"run_background": False, "ready_max_projection_lag": 1,
                                          "ready_max_webhook_backlog": 5})
    with TestClient(create_app(bounded)) as client:
        deal = open_deal(client)
        add_tracking(settings, "laggard", 1)
        head = deal["version"]
        assert sample(client.get("/metrics").text, "deals_projection_lag_events", projection="laggard") == head - 1
        behind = client.get("/readyz")
        assert behind.status_code == 503
        assert behind.headers["content-type"].startswith("application/problem+json")
        assert behind.json()["checks"]["projections"]["status"] == "behind"
        assert behind.json()["checks"]["projections"]["lag"]["laggard"] == head - 1

        probes = metrics.backlog_probes()
        try:
            metrics.register_backlog_probe("webhooks", lambda _: 7)
            assert sample(client.get("/metrics").text, "deals_webhook_queue_depth", queue="webhooks") == 7
            ready = client.get("/readyz").json()
            webhooks = ready["checks"]["webhooks"]
            assert (webhooks["status"], webhooks["depth"]) == ("behind", 7)
            assert ready["detail"] == "not ready: projections"  # the webhook queue is no gate
        finally:
            for name, probe in probes.items():
                metrics.register_backlog_probe(name, probe)


def test_readiness_reports_a_database_that_does_not_answer(sqlite_settings: Settings) -> None:
    class Down:
        def transaction(self, commit: bool) -> Any:
            raise ConnectionRefusedError("connection refused")

    app = SimpleNamespace(recorder=SimpleNamespace(datastore=Down()))
    checks = readiness(app, sqlite_settings)
    assert checks["database"]["status"] == "failing"
    assert "connection refused" in checks["database"]["detail"]


def test_an_unexpected_error_is_a_problem_with_the_request_id() -> None:
    async def broken(scope: Any, receive: Any, send: Any) -> None:
        raise RuntimeError("bug")

    sent: list[dict[str, Any]] = []

    async def send(message: dict[str, Any]) -> None:
        sent.append(message)

    scope = {"type": "http", "method": "GET", "path": "/x", "headers": [(b"x-request-id", b"r-1")]}
    asyncio.run(RequestMiddleware(broken, Router())(scope, None, send))  # type: ignore[arg-type]
    assert sent[0]["status"] == 500
    assert (b"x-request-id", b"r-1") in sent[0]["headers"]
    body = json.loads(sent[1]["body"])
    assert (body["code"], body["request_id"]) == ("internal_error", "r-1")


def test_deals_serve_logs_one_json_line_per_request_without_the_key(tmp_path: Path) -> None:
    keys = KeySet()
    serve, url = deals_serve(tmp_path, api_keys=keys.entries)
    try:
        wait_until_up(url, serve)
        key = keys.by_scope["deals:write"]
        opened = httpx.post(f"{url}/deals", json={"title": "logged"}, headers={**bearer(key), "X-Request-ID": "req-7"})
        assert opened.status_code == 201
    finally:
        serve.stop()
    log = (tmp_path / "serve.log").read_text()
    lines = [json.loads(line) for line in log.splitlines() if line.startswith("{")]
    access = [entry for entry in lines if entry.get("request_id") == "req-7" and entry["logger"] == "deals.access"]
    assert len(access) == 1
    assert {k: access[0][k] for k in ("method", "route", "status")} == {"method": "POST", "route": "/deals",
                                                                       "status": 201}
    assert access[0]["duration_ms"] > 0 and access[0]["api_key_id"] == hash_key(key)[:12]
    assert key not in log
    assert any(entry["msg"] == "API keys required: 4 configured" for entry in lines)


def test_a_webhook_backlog_past_its_bound_is_reported_but_leaves_the_replica_ready(settings: Settings) -> None:
    bounded = settings.model_copy(update={"run_background": False, "ready_max_webhook_backlog": 5})
    with TestClient(create_app(bounded)) as client:
        probes = metrics.backlog_probes()
        try:
            metrics.register_backlog_probe("webhooks", lambda _: 7)
            ready = client.get("/readyz")
        finally:
            for name, probe in probes.items():
                metrics.register_backlog_probe(name, probe)

    assert ready.status_code == 200, ready.text
    assert ready.json()["checks"]["webhooks"]["status"] == "behind"
    assert ready.json()["checks"]["webhooks"]["depth"] == 7


def test_requests_refused_before_routing_are_logged_and_measured_by_their_route(
    settings: Settings, caplog: pytest.LogCaptureFixture
) -> None:
    keys = KeySet()
    keyed = settings.model_copy(update={"run_background": False, "api_keys": keys.entries})
    deal_id = "3f2b8c1e-5d4a-4e6f-9a7b-1c2d3e4f5a6b"
    with TestClient(create_app(keyed)) as client, caplog.at_level("INFO", logger="deals.access"):
        before = client.get("/metrics").text
        assert client.get(f"/deals/{deal_id}/events").status_code == 401
        assert client.post("/deals", json={"title": "t"}, headers=bearer(keys.by_scope["deals:read"])).status_code \
            == 403
        assert client.get("/events/stream", headers=bearer(keys.unknown)).status_code == 401
        text = client.get("/metrics").text
    routes = [(vars(r)["method"], vars(r)["route"], vars(r)["status"]) for r in caplog.records
              if r.name == "deals.access"]
    assert routes[1:4] == [("GET", "/deals/{deal_id}/events", 401), ("POST", "/deals", 403),
                           ("GET", "/events/stream", 401)]
    refused = {"method": "POST", "route": "/deals", "status": "403"}
    name = "deals_http_request_duration_seconds_count"
    assert sample(text, name, **refused) - sample(before, name, **refused) == 1
    assert sample(text, name, method="GET", route="unmatched", status="401") == sample(
        before, name, method="GET", route="unmatched", status="401")


def test_the_readme_metrics_table_lists_exactly_what_metrics_exports(sqlite_settings: Settings) -> None:
    readme = (Path(__file__).resolve().parents[2] / "README.md").read_text()
    table = readme.split("- `GET /metrics` (Prometheus text):", 1)[1].split("\n\n", 2)[1]
    documented = {name for row in table.splitlines() if row.strip().startswith("| `")
                  for name in re.findall(r"`(deals_[a-z_]+)", row.split("|")[1])}
    with TestClient(create_app(sqlite_settings.model_copy(update={"run_background": False}))) as client:
        exported = {family.name for family in text_string_to_metric_families(client.get("/metrics").text)
                    if family.name.startswith("deals_") and not family.name.endswith("_created")}
    counters = {name for name in documented if name.endswith("_total")}
    assert {name.removesuffix("_total") if name in counters else name for name in documented} == exported
