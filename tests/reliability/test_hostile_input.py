"""Hostile input against a real server: every case gets a clear 4xx problem+json, and nothing is recorded."""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import httpx
import pytest

from service.entrypoints.demo import OPENING
from tests.postgres import fresh_schema, require_postgres
from tests.reliability.conftest import SMALL_POOL
from tests.reliability.figures import Figures
from tests.reliability.servers import ApiServer

JSON = {"content-type": "application/json"}
EVENTS = "/deals/{deal}/events"
STATEMENT = {"type": "statement_recorded", "speaker": {"name": "a speaker"}, "quote": "said"}
ABSURD_TIMES = [
    "0000-01-01T00:00:00Z",  # year 0
    "99999-01-01T00:00:00Z",  # year 99999
    "2025-01-01T00:00:00+99:00",  # offset beyond a day
    "9999-12-31T23:59:59-23:59",  # valid locally, year 10000 in UTC
    "0001-01-01T00:00:00+23:59",  # valid locally, year 0 in UTC
    "2025-01-01T00:00:00",  # no offset
    "1e400",
    "",
]


@dataclass
class Case:
    name: str
    method: str
    path: str
    json_body: Any = None
    content: bytes | None = None
    headers: dict[str, str] = field(default_factory=dict)
    params: dict[str, Any] = field(default_factory=dict)
    statuses: tuple[int, ...] = (422,)


def raw(name: str, content: bytes, statuses: tuple[int, ...] = (400, 422), **kw: Any) -> Case:
    return Case(name, "POST", EVENTS, content=content, headers={**JSON, **kw.pop("headers", {})}, statuses=statuses,
                **kw)


def cases() -> list[Case]:
    statement = json.dumps(STATEMENT)
    too_large = (400, 413, 422)
    result = [
        Case("oversized body (8 MB quote)", "POST", EVENTS, json_body={**STATEMENT, "quote": "x" * 8_000_000},
             statuses=too_large),
        Case("oversized batch (5,000 events)", "POST", EVENTS, json_body=[STATEMENT] * 5000, statuses=too_large),
        raw("deep nesting (100,000 lists)", b"[" * 100_000 + b"]" * 100_000),
        raw("deep nesting inside a correction", b'{"type":"event_corrected","target_version":1,"reason":"r",'
            b'"corrected_fields":{"occurred_at":' + b"[" * 900 + b"]" * 900 + b"}}"),
        raw("invalid UTF-8", b'{"type":"statement_recorded","speaker":{"name":"a"},"quote":"\xff\xfe"}'),
        raw("lone surrogate", b'{"type":"statement_recorded","speaker":{"name":"a"},"quote":"\\ud800"}'),
        raw("truncated JSON", b'{"type":"statement_recorded",'),
        raw("NaN", b'{"type":"ratified","party_id":"UA","votes_for":NaN}'),
        raw("Infinity in a correction", b'{"type":"event_corrected","target_version":1,"reason":"r",'
            b'"corrected_fields":{"occurred_at":Infinity}}'),
        raw("a 5,000-digit number", b'{"type":"ratified","party_id":"UA","votes_for":' + b"9" * 5000 + b"}"),
        raw("JSON null", b"null"),
        raw("JSON number", b"12"),
        Case("text/plain", "POST", EVENTS, content=statement.encode(), headers={"content-type": "text/plain"},
             statuses=(415, 422)),
        Case("form-encoded", "POST", EVENTS, content=b"type=statement_recorded",
             headers={"content-type": "application/x-www-form-urlencoded"}, statuses=(415, 422)),
        Case("XML", "POST", EVENTS, content=b"<event/>", headers={"content-type": "application/xml"},
             statuses=(415, 422)),
        Case("no content type", "POST", EVENTS, content=statement.encode(), statuses=(415, 422)),
        Case("unknown event type", "POST", EVENTS, json_body={"type": "coup_declared"}),
        Case("missing event type", "POST", EVENTS, json_body={"quote": "x"}),
        Case("opening with an event type", "POST", "/deals", json_body={**STATEMENT}),
        Case("empty batch", "POST", EVENTS, json_body=[]),
        Case("huge version reference", "POST", EVENTS, json_body={**STATEMENT, "about_version": 10**30}),
        Case("huge vote count on a draft deal", "POST", EVENTS,
             json_body={"type": "ratified", "party_id": "UA", "votes_for": 10**40}, statuses=(409, 422)),
        Case("huge after_version", "GET", EVENTS, params={"after_version": 10**30}),
        Case("after_version 2**63", "GET", EVENTS, params={"after_version": 2**63}),
        Case("negative after_version", "GET", EVENTS, params={"after_version": -1}),
        Case("huge limit", "GET", EVENTS, params={"limit": 10**30}),
        Case("huge cursor", "GET", "/deals", params={"cursor": "9" * 40}),
        Case("cursor 2**63", "GET", "/deals", params={"cursor": str(2**63)}),
        Case("If-Match of 40 digits", "POST", EVENTS, json_body=STATEMENT, headers={"If-Match": f'"{"9" * 40}"'},
             statuses=(412, 422)),
        Case("If-Match of 5,000 digits", "POST", EVENTS, json_body=STATEMENT,
             headers={"If-Match": f'"{"9" * 5000}"'}, statuses=(412, 422)),
        Case("If-Match garbage", "POST", EVENTS, json_body=STATEMENT, headers={"If-Match": "W/\"x\""}),
        Case("feed after 2**63", "GET", "/events", params={"after": 2**63}),
        Case("deal list updated since year 10000 in UTC", "GET", "/deals",
             params={"updated_since": "9999-12-31T23:59:59-23:59"}),
        Case("deal list updated since year 0 in UTC", "GET", "/deals",
             params={"updated_since": "0001-01-01T00:00:00+23:59"}),
        Case("deal as of year 10000 in UTC", "GET", "/deals/{deal}", params={"as_of": "9999-12-31T23:59:59-23:59"}),
        Case("deal at version 2**63", "GET", "/deals/{deal}", params={"version": 2**63}),
        Case("malformed deal id", "GET", "/deals/not-a-uuid"),
        Case("unknown deal", "POST", "/deals/00000000-0000-4000-8000-000000000000/events", json_body=STATEMENT,
             statuses=(404,)),
        Case("unknown party", "POST", EVENTS, json_body={"type": "signing_withheld", "by_party": "XX"},
             statuses=(409, 422)),
        Case("extra field", "POST", EVENTS, json_body={**STATEMENT, "admin": True}),
        Case("correction to an absurd time", "POST", EVENTS, json_body={
            "type": "event_corrected", "target_version": 1, "reason": "r",
            "corrected_fields": {"occurred_at": "9999-12-31T23:59:59-23:59"}}),
    ]
    for time in ABSURD_TIMES:
        result += [
            Case(f"occurred_at {time!r}", "POST", EVENTS, json_body={**STATEMENT, "occurred_at": time}),
            Case(f"deadline_at {time!r}", "POST", EVENTS, json_body={"type": "deadline_set", "deadline_at": time}),
            Case(f"opened at {time!r}", "POST", "/deals", json_body={**OPENING, "occurred_at": time}),
            Case(f"source published {time!r}", "POST", EVENTS, json_body={
                **STATEMENT, "sources": [{"url": "https://example.org/a", "published_at": time}]}),
        ]
    return result


@pytest.fixture(scope="module", params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def server(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[ApiServer]:
    tmp = tmp_path_factory.mktemp("hostile")
    if request.param == "sqlite":
        with ApiServer(tmp / "api.log", database_url=f"sqlite:///{tmp}/deals.db") as api:
            yield api
        return
    url = require_postgres()
    with fresh_schema(url) as schema, \
            ApiServer(tmp / "api.log", database_url=url, postgres_schema=schema, **SMALL_POOL) as api:
        yield api


def test_hostile_requests_get_clear_problems_and_record_nothing(server: ApiServer, figures: Figures) -> None:
    failures: list[str] = []
    with httpx.Client(base_url=server.url, timeout=60) as client:
        opened = client.post("/deals", json=OPENING)
        deal = opened.json()["deal_id"]
        # The deal list is a projection of the log: make it include the opening before counting.
        deals_before = client.get("/deals", params={"limit": 500, "min_position": opened.headers["Deals-Position"]}
                                  ).json()["items"]
        statuses: list[int] = []
        for case in cases():
            try:
                response = client.request(case.method, case.path.format(deal=deal), json=case.json_body,
                                          content=case.content, headers=case.headers, params=case.params)
            except httpx.HTTPError as error:
                failures.append(f"{case.name}: no answer ({error!r})")
                continue
            statuses.append(response.status_code)
            if problem := _not_a_clear_problem(case, response):
                failures.append(f"{case.name}: {problem}")
        after = client.get(f"/deals/{deal}").json()
        deals_after = client.get("/deals", params={"limit": 500}).json()["items"]
    figures.add({"requests sent": len(statuses) + 1, "4xx": sum(400 <= s < 500 for s in statuses),
                 "5xx": sum(s >= 500 for s in statuses), "events written": after["version"] - opened.json()["version"],
                 "deals opened": len(deals_after) - len(deals_before)})
    assert failures == []
    assert after["version"] == opened.json()["version"], "a refused request recorded something"
    assert deals_after == deals_before, "a refused opening opened a deal"


def _not_a_clear_problem(case: Case, response: httpx.Response) -> str | None:
    if response.status_code not in case.statuses:
        return f"status {response.status_code}, expected one of {case.statuses}: {response.text[:200]}"
    if response.headers.get("content-type") != "application/problem+json":
        return f"content type {response.headers.get('content-type')!r}"
    body = response.json()
    missing = {"type", "title", "status", "detail", "code"} - set(body)
    if missing or body["status"] != response.status_code or not body["detail"]:
        return f"incomplete problem: {body}"
    return None

