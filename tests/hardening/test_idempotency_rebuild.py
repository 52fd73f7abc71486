"""A write whose key was claimed with its events but whose answer was never kept (the process died in between):
a retry with the same key gets the answer rebuilt from the log, byte for byte what the first request was sent."""

from __future__ import annotations

from typing import Any

import httpx
import pytest
from fastapi.testclient import TestClient

from service.idempotency import middleware
from service.idempotency.keys import load_key
from service.idempotency.record import key_id
from tests.api.helpers import open_deal, tender
from tests.hardening.test_idempotency import log_head, post
from tests.replay.helpers import OPENING

KEPT = ("content-type", "etag", "location", "deals-position")


@pytest.fixture
def answers_lost(monkeypatch: pytest.MonkeyPatch) -> list[Any]:
    """Writes commit with their claims, but no answer is kept: as if each process died right after its commit."""
    lost: list[Any] = []
    monkeypatch.setattr(middleware.IdempotencyMiddleware, "_keep", lambda self, deals, claim, captured:
                        lost.append(claim))
    return lost


def _same_answer(first: httpx.Response, again: httpx.Response) -> None:
    assert again.status_code == first.status_code == 201
    assert again.content == first.content
    assert {h: again.headers.get(h) for h in KEPT} == {h: first.headers.get(h) for h in KEPT}
    assert again.headers["idempotent-replayed"] == "true"


@pytest.mark.parametrize("size", [1, 3])
def test_an_append_whose_answer_was_lost_is_answered_from_the_log(
    client: TestClient, answers_lost: list[Any], monkeypatch: pytest.MonkeyPatch, size: int
) -> None:
    deal = open_deal(client)
    url = f"/deals/{deal['deal_id']}/events"
    body: Any = tender() if size == 1 else [tender(proposal_id=f"v{i}") for i in range(size)]
    first = post(client, url, body, "lost-answer")
    head = log_head(client)
    monkeypatch.setattr(middleware, "WAIT_SECONDS", 0.1)

    again = post(client, url, body, "lost-answer")
    kept = _record(client, url, "lost-answer").answer
    third = post(client, url, body, "lost-answer")

    assert len(answers_lost) == 1 and first.json()["version"] == deal["version"] + size
    _same_answer(first, again)
    assert kept is not None and kept[1]["etag"] == first.headers["etag"]  # the rebuilt answer was kept
    _same_answer(first, third)
    assert log_head(client) == head


def test_an_opening_whose_answer_was_lost_is_answered_from_the_log(
    client: TestClient, answers_lost: list[Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    first = post(client, "/deals", OPENING, "lost-opening")
    monkeypatch.setattr(middleware, "WAIT_SECONDS", 0.1)

    again = post(client, "/deals", OPENING, "lost-opening")

    assert first.json()["version"] > 1  # the parties joined in the same write
    _same_answer(first, again)
    assert client.get(f"/deals/{first.json()['deal_id']}").json()["version"] == first.json()["version"]


def test_a_claim_that_names_no_deal_write_still_says_it_is_in_progress(
    client: TestClient, answers_lost: list[Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    deal = open_deal(client)
    url = f"/deals/{deal['deal_id']}/events"
    post(client, url, tender(), "lost-answer")
    record = _record(client, url, "lost-answer")
    record.request = "POST /somewhere/else"
    monkeypatch.setattr(middleware.IdempotencyMiddleware, "_load", staticmethod(_returning(record)))
    monkeypatch.setattr(middleware, "WAIT_SECONDS", 0.1)

    again = post(client, url, tender(), "lost-answer")

    assert (again.status_code, again.json()["code"]) == (409, "idempotency_in_progress")


def _record(client: TestClient, url: str, key: str) -> Any:
    return load_key(client.app.state.deals, key_id("open", "POST", url, key))  # type: ignore[attr-defined]


def _returning(record: Any) -> Any:
    async def load(deals: Any, key: Any) -> Any:
        return record

    return load
