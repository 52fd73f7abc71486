"""32 clients append over HTTP to one hot deal and to many deals at once, against a real server on each backend.

Afterwards every acknowledged event is in the log exactly once, each deal's versions run 1..n without a gap, every
refused write was a 409 or 412 problem (never a 5xx), and the global feed holds each event once, in commit order.
"""

from __future__ import annotations

import random
from pathlib import Path

import httpx
import pytest

from tests.reliability.conftest import Backend
from tests.reliability.feed import check_feed, read_feed
from tests.reliability.figures import Figures
from tests.reliability.ledger import REFUSALS, Ledger, audit, history
from tests.reliability.load import open_deals, run_clients
from tests.reliability.servers import ApiServer

CLIENTS = 32
PROBLEM_JSON = "application/problem+json"


def write_load(ledger: Ledger, hot: str, others: list[str], requests: int, if_match: bool):
    """Even clients hammer the hot deal, odd ones spread over the others; every fourth request is a batch of 3."""

    def work(index: int, client: httpx.Client, more) -> None:
        rng = random.Random(index)
        for n in range(requests):
            if not more():
                return
            deal = hot if index % 2 == 0 else rng.choice(others)
            size = 3 if n % 4 == 3 else 1
            if not if_match:
                ledger.post(client, deal, size)
                continue
            etag = client.get(f"/deals/{deal}").headers["ETag"]
            for _ in range(3):  # on 412, decide again on the version the refusal names
                attempt = ledger.post(client, deal, size, headers={"If-Match": etag})
                if attempt.status != 412:
                    break
                etag = attempt.headers.get("etag", etag)

    return work


@pytest.mark.parametrize("if_match", [False, True], ids=["last-writer", "if-match"])
def test_concurrent_appends_lose_and_duplicate_nothing(
    backend: Backend, if_match: bool, long: bool, figures: Figures, tmp_path: Path
) -> None:
    requests = 40 if long else 4
    ledger = Ledger()
    with ApiServer(tmp_path / "api.log", **backend.deals_env()) as server, \
            httpx.Client(base_url=server.url, timeout=30) as client:
        deals = open_deals(client, 16)
        run_clients(server.url, CLIENTS, write_load(ledger, deals[0], deals[1:], requests, if_match),
                    seconds=300 if long else 60)
        histories = {deal: history(client, deal) for deal in deals}
        current = {deal: client.get(f"/deals/{deal}").json()["version"] for deal in deals}
        feed = read_feed(backend.settings, client)
    result = audit(ledger, histories)
    feed_problems = check_feed(feed, histories, [a.body for a in ledger.acknowledged()])
    figures.add(ledger.figures(), **result.figures())
    figures.add({"feed entries": len(feed), "feed problems": len(feed_problems)})

    assert not ledger.unexpected(), f"answers other than 201/409/412: {ledger.by_status()}"
    refusals = [a for a in ledger.attempts if a.status in REFUSALS]
    assert all(a.headers.get("content-type") == PROBLEM_JSON for a in refusals)
    assert all("etag" in a.headers for a in refusals if a.status == 412)
    assert result.problems == []
    assert feed_problems == []
    assert current == {deal: len(events) for deal, events in histories.items()}
    assert ledger.acknowledged(), "no write was acknowledged at all"


def test_opening_one_deal_id_concurrently_succeeds_once(backend: Backend, figures: Figures, tmp_path: Path) -> None:
    deal_id = "7d0c3b8e-6a65-4b43-9d0e-4a1f3c2b9e10"
    statuses: list[int] = []

    def work(index: int, client: httpx.Client, more) -> None:
        body = {"deal_id": deal_id, "title": f"opened by client {index}"}
        statuses.append(client.post("/deals", json=body).status_code)

    with ApiServer(tmp_path / "api.log", **backend.deals_env()) as server:
        run_clients(server.url, CLIENTS, work, seconds=60)
        with httpx.Client(base_url=server.url) as client:
            opened = history(client, deal_id)
    figures.add({"requests sent": len(statuses), "acknowledged": statuses.count(201),
                 "conflicts (409)": statuses.count(409), "events found": len(opened)})
    assert sorted(statuses) == [201] + [409] * (CLIENTS - 1)
    assert [e["version"] for e in opened] == [1]


def test_two_api_processes_on_one_database_lose_and_duplicate_nothing(
    backend: Backend, long: bool, figures: Figures, tmp_path: Path
) -> None:
    """Replicas behind a balancer: each process has its own writer and cache, so they race through the store
    (--long adds a round with If-Match)."""
    requests = 40 if long else 4
    ledger = Ledger()
    with ApiServer(tmp_path / "api-1.log", **backend.deals_env()) as one, \
            ApiServer(tmp_path / "api-2.log", run_background="false", **backend.deals_env()) as two, \
            httpx.Client(base_url=one.url, timeout=30) as client:
        deals = open_deals(client, 8)
        for if_match, hot in ((False, deals[0]), (True, deals[1])) if long else ((False, deals[0]),):
            run_clients([one.url, two.url], CLIENTS, write_load(ledger, hot, deals[2:], requests, if_match),
                        seconds=300 if long else 60)
        histories = {deal: history(client, deal) for deal in deals}
        feed = read_feed(backend.settings, client)
    result = audit(ledger, histories)
    feed_problems = check_feed(feed, histories, [a.body for a in ledger.acknowledged()])
    figures.add(ledger.figures(), **result.figures())
    figures.add({"feed entries": len(feed), "feed problems": len(feed_problems)})

    assert not ledger.unexpected(), f"answers other than 201/409/412: {ledger.by_status()}"
    assert result.problems == []
    assert feed_problems == []
    assert ledger.acknowledged()
