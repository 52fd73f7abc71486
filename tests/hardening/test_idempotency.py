"""Idempotency-Key on POST: a retry gets the first answer and stores nothing; another body with the same key is a
422; identical requests sent at once produce one event; keys live in their own table, out of the feed."""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
from fastapi.testclient import TestClient

from service.api.main import create_app
from service.idempotency import middleware
from service.settings import Settings
from tests.api.helpers import history, open_deal, tender
from tests.hardening.keys import KeySet, bearer
from tests.hardening.metrics_text import sample
from tests.postgres import fresh_schema, require_postgres
from tests.reliability.servers import ApiServer

WRITE_MODES = ["group", "naive"]


def post(client: TestClient, url: str, body: Any, key: str, **headers: str) -> httpx.Response:
    return client.post(url, json=body, headers={"Idempotency-Key": key, **headers})


def log_head(client: TestClient) -> int:
    return client.app.state.deals.recorder.max_notification_id() or 0  # type: ignore[attr-defined]


def test_a_retry_gets_the_first_answer_and_stores_nothing(client: TestClient) -> None:
    deal = open_deal(client)
    url = f"/deals/{deal['deal_id']}/events"
    replays = sample(client.get("/metrics").text, "deals_idempotent_replays_total")
    first = post(client, url, tender(), "tender-v1")
    assert first.status_code == 201, first.text
    head = log_head(client)

    again = post(client, url, tender(), "tender-v1")
    assert again.status_code == 201
    assert again.json() == first.json()
    assert again.headers["idempotent-replayed"] == "true"
    assert (again.headers["etag"], again.headers["location"]) == (first.headers["etag"], first.headers["location"])
    assert log_head(client) == head
    assert len(history(client, deal["deal_id"])) == deal["version"] + 1
    assert sample(client.get("/metrics").text, "deals_idempotent_replays_total") == replays + 1


def test_the_same_key_with_another_body_is_refused(client: TestClient) -> None:
    deal = open_deal(client)
    url = f"/deals/{deal['deal_id']}/events"
    assert post(client, url, tender(), "k1").status_code == 201
    head = log_head(client)
    other = post(client, url, tender(proposal_id="v2"), "k1")
    assert other.status_code == 422
    assert other.headers["content-type"].startswith("application/problem+json")
    assert (other.json()["code"], other.json()["field"]) == ("idempotency_key_reused", "Idempotency-Key")
    assert log_head(client) == head


def test_bodies_compare_by_content_not_spacing_or_key_order(client: TestClient) -> None:
    deal = open_deal(client)
    url = f"/deals/{deal['deal_id']}/events"
    first = client.post(url, content=b'{"type": "meeting_held", "participants": ["US", "UA"]}',
                        headers={"Idempotency-Key": "k", "content-type": "application/json"})
    again = client.post(url, content=b'{"participants":["US","UA"],"type":"meeting_held"}',
                        headers={"Idempotency-Key": "k", "content-type": "application/json"})
    assert first.status_code == 201, first.text
    assert again.headers.get("idempotent-replayed") == "true"


def test_opening_a_deal_twice_with_one_key_opens_one_deal(client: TestClient) -> None:
    first = post(client, "/deals", {"title": "once"}, "open-1")
    again = post(client, "/deals", {"title": "once"}, "open-1")
    assert (first.status_code, again.status_code) == (201, 201)
    assert again.json()["deal_id"] == first.json()["deal_id"]
    assert again.headers["idempotent-replayed"] == "true"


def test_a_refused_request_is_not_kept_so_its_retry_runs_again(client: TestClient) -> None:
    deal = open_deal(client)
    url = f"/deals/{deal['deal_id']}/events"
    accept = {"type": "proposal_accepted", "by_party": "UA"}
    refused = post(client, url, accept, "accept-1")
    assert refused.status_code in (409, 422)
    assert post(client, url, tender(), "tender-1").status_code == 201
    accepted = post(client, url, accept, "accept-1")
    assert accepted.status_code == 201, accepted.text
    assert "idempotent-replayed" not in accepted.headers


def test_the_answer_outlives_a_restart(settings: Settings) -> None:
    with TestClient(create_app(settings)) as client:
        first = post(client, "/deals", {"title": "durable"}, "durable-1")
    with TestClient(create_app(settings)) as client:
        again = post(client, "/deals", {"title": "durable"}, "durable-1")
    assert again.json() == first.json()
    assert again.headers["idempotent-replayed"] == "true"


def test_an_expired_key_may_be_used_again(client: TestClient, monkeypatch: pytest.MonkeyPatch) -> None:
    """25 hours on, the key is free: a new request runs, and is itself remembered."""
    first = post(client, "/deals", {"title": "first use"}, "reused-later")

    class Later(datetime):
        @classmethod
        def now(cls, tz: Any = None) -> datetime:  # type: ignore[override]
            return datetime.now(UTC) + timedelta(hours=25)

    with monkeypatch.context() as later:
        later.setattr(middleware, "datetime", Later)
        second = post(client, "/deals", {"title": "second use"}, "reused-later")
    assert second.status_code == 201
    assert "idempotent-replayed" not in second.headers
    assert second.json()["deal_id"] != first.json()["deal_id"]
    third = post(client, "/deals", {"title": "second use"}, "reused-later")
    assert third.json()["deal_id"] == second.json()["deal_id"]
    assert third.headers["idempotent-replayed"] == "true"


def test_a_malformed_key_is_a_422_naming_the_header(client: TestClient) -> None:
    response = post(client, "/deals", {"title": "x"}, "x" * 256)
    assert response.status_code == 422
    assert response.json()["field"] == "Idempotency-Key"


def test_keys_belong_to_the_caller(sqlite_settings: Settings) -> None:
    keys = KeySet()
    with TestClient(create_app(sqlite_settings.model_copy(update={"api_keys": keys.entries}))) as client:
        mine = post(client, "/deals", {"title": "t"}, "shared", **bearer(keys.by_scope["deals:write"]))
        theirs = post(client, "/deals", {"title": "t"}, "shared", **bearer(keys.everything))
    assert (mine.status_code, theirs.status_code) == (201, 201)
    assert mine.json()["deal_id"] != theirs.json()["deal_id"]
    assert "idempotent-replayed" not in theirs.headers


def test_keys_stay_out_of_the_feed(client: TestClient) -> None:
    deal = open_deal(client)
    post(client, f"/deals/{deal['deal_id']}/events", tender(), "feed-1")
    feed = client.get("/events", params={"limit": 100})
    assert feed.status_code == 200, feed.text
    assert {item["deal_id"] for item in feed.json()["items"]} == {deal["deal_id"]}
    assert len(feed.json()["items"]) == deal["version"] + 1


def test_every_post_documents_the_header(client: TestClient) -> None:
    schema = client.get("/openapi.json").json()
    posts = [op for item in schema["paths"].values() for method, op in item.items() if method == "post"]
    assert posts
    for op in posts:
        assert any(p["name"] == "Idempotency-Key" and p["in"] == "header" for p in op["parameters"])


# ---- identical requests at once ------------------------------------------------------------------------------


@pytest.fixture(params=WRITE_MODES)
def racing(request: pytest.FixtureRequest, settings: Settings) -> Iterator[TestClient]:
    with TestClient(create_app(settings.model_copy(update={"write_mode": request.param}))) as client:
        yield client


def at_once(count: int, call: Callable[[int], httpx.Response]) -> list[httpx.Response]:
    """`call(i)` for i in range(count), from `count` threads released together."""
    start = threading.Barrier(count)

    def go(i: int) -> httpx.Response:
        start.wait()
        return call(i)

    with ThreadPoolExecutor(count) as pool:
        return list(pool.map(go, range(count)))


def test_identical_appends_at_once_store_one_event(racing: TestClient) -> None:
    deal = open_deal(racing)
    url = f"/deals/{deal['deal_id']}/events"
    for round_ in range(3):
        body = {"type": "statement_recorded", "statement_id": f"s{round_}", "speaker": {"name": "Zelenskyy"},
                "quote": "not ready to sign"}
        answers = at_once(8, lambda _, body=body, round_=round_: post(racing, url, body, f"race-{round_}"))
        assert {a.status_code for a in answers} == {201}, [a.text for a in answers]
        assert len({a.text for a in answers}) == 1
        assert sum("idempotent-replayed" not in a.headers for a in answers) == 1
    events = history(racing, deal["deal_id"])
    assert [e["type"] for e in events[deal["version"]:]] == ["statement_recorded"] * 3


def test_identical_openings_at_once_open_one_deal(racing: TestClient) -> None:
    head = log_head(racing)
    answers = at_once(8, lambda _: post(racing, "/deals", {"title": "raced", "parties": []}, "race-open"))
    assert {a.status_code for a in answers} == {201}, [a.text for a in answers]
    assert len({a.json()["deal_id"] for a in answers}) == 1
    assert log_head(racing) == head + 1


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def two_servers(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[list[ApiServer]]:
    """Two API processes on one database: duplicates sent to both race on the key's primary key."""
    if request.param == "sqlite":
        database = {"database_url": f"sqlite:///{tmp_path}/deals.db"}
        with ApiServer(tmp_path / "a.log", **database) as a, ApiServer(tmp_path / "b.log", **database) as b:
            yield [a, b]
        return
    url = require_postgres()
    with fresh_schema(url) as schema:
        database = {"database_url": url, "postgres_schema": schema}
        with ApiServer(tmp_path / "a.log", **database) as a, ApiServer(tmp_path / "b.log", **database) as b:
            yield [a, b]


def test_identical_requests_to_two_processes_at_once_store_one_event(two_servers: list[ApiServer]) -> None:
    first, _ = two_servers
    opened = httpx.post(f"{first.url}/deals", json={"title": "two processes"})
    url = opened.headers["location"] + "/events"
    for round_ in range(4):
        body = {"type": "meeting_held", "participants": ["US", "UA"], "topic": f"round {round_}"}
        answers = at_once(8, lambda i, round_=round_, body=body: httpx.post(
            f"{two_servers[i % 2].url}{url}", json=body, headers={"Idempotency-Key": f"two-{round_}"}, timeout=30))
        assert {a.status_code for a in answers} == {201}, [a.text for a in answers]
        assert len({a.text for a in answers}) == 1
    events = httpx.get(f"{first.url}{url}", params={"limit": 100}).json()["items"]
    assert [e["type"] for e in events[1:]] == ["meeting_held"] * 4


def test_expired_keys_are_purged_and_then_run_as_new(client: TestClient) -> None:
    first = post(client, "/deals", {"title": "purged"}, "purge-me")
    recorder = client.app.state.deals.recorder  # type: ignore[attr-defined]
    assert recorder.purge_keys(datetime.now(UTC) - timedelta(hours=1)) == 0
    assert recorder.purge_keys(datetime.now(UTC) + timedelta(seconds=1)) == 2  # the claim and its answer
    again = post(client, "/deals", {"title": "purged"}, "purge-me")
    assert "idempotent-replayed" not in again.headers
    assert again.json()["deal_id"] != first.json()["deal_id"]
