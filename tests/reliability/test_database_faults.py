"""PostgreSQL (a throwaway cluster of our own) restarted under a read and write load.

While it is down, requests either wait and succeed or fail cleanly (503 problem+json with Retry-After); afterwards
the service recovers by itself, without a restart, and no acknowledged event is lost or doubled.
"""

from __future__ import annotations

import os
import threading
import time
from collections import Counter
from pathlib import Path
from uuid import uuid4

import httpx
import pytest
from eventsourcing.persistence import (
    ConnectionUnavailableError,
    IntegrityError,
    InterfaceError,
    OperationalError,
    StoredEvent,
)
from fastapi.testclient import TestClient

from service.api.main import create_app
from service.application import DealsApplication
from service.entrypoints.demo import OPENING
from service.settings import Settings
from tests.postgres import fresh_schema, require_postgres
from tests.reliability.feed import check_feed, read_feed
from tests.reliability.figures import Figures
from tests.reliability.ledger import ACK, Ledger, audit, history, marker, statement
from tests.reliability.load import open_deals, run_clients
from tests.reliability.pgcluster import ThrowawayPostgres
from tests.reliability.servers import ApiServer
from tests.reliability.waiting import wait_for_projections

CLIENTS = 16
PROBLEM_JSON = "application/problem+json"


@pytest.fixture
def throwaway_postgres() -> ThrowawayPostgres:
    try:
        cluster = ThrowawayPostgres()
    except RuntimeError as error:
        if os.environ.get("CI", "").lower() == "true":
            pytest.fail(str(error))
        pytest.skip(str(error))
    with cluster:
        yield cluster


class Load:
    """Clients that keep writing (and some reading) until told to stop, bounded in count and time."""

    def __init__(self, url: str, deals: list[str]) -> None:
        self.url, self.deals = url, deals
        self.ledger = Ledger()
        self.reads: list[tuple[int | None, dict[str, str]]] = []
        self.stopping = threading.Event()
        self.thread = threading.Thread(target=run_clients, args=(url, CLIENTS, self.work, 600), daemon=True,
                                       kwargs={"timeout": 120})

    def work(self, index: int, client: httpx.Client, more) -> None:
        for n in range(20_000):
            if self.stopping.is_set() or not more():
                return
            deal = self.deals[(index + n) % len(self.deals)]
            if index % 4 == 3:
                try:
                    response = client.get(f"/deals/{deal}")
                    self.reads.append((response.status_code, dict(response.headers)))
                except httpx.HTTPError:
                    self.reads.append((None, {}))
            else:
                self.ledger.post(client, deal, 2, kind="meeting" if index % 2 else "statement")
            time.sleep(0.01)

    def acknowledged_since(self, moment: float) -> int:
        return sum(1 for a in self.ledger.acknowledged() if a.sent_at >= moment)

    def wait_for_acks(self, moment: float, count: int, seconds: float) -> float | None:
        """Seconds from `moment` until `count` writes sent after it were acknowledged (None: not within `seconds`)."""
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline:
            if self.acknowledged_since(moment) >= count:
                return time.monotonic() - moment
            time.sleep(0.05)
        return None


def test_postgres_restart_under_load_fails_cleanly_and_recovers_without_losing_events(
    throwaway_postgres: ThrowawayPostgres, long: bool, figures: Figures, tmp_path: Path
) -> None:
    pg = throwaway_postgres
    # (shutdown mode, seconds down): "immediate" is a crash, recovered from the WAL at the next start.
    outages = [("fast", 1.0), ("immediate", 3.0), ("immediate", 1.0), ("fast", 20.0)] if long else [("fast", 1.0)]
    recoveries: list[float | None] = []
    with ApiServer(tmp_path / "api.log", database_url=pg.url) as api:
        with httpx.Client(base_url=api.url, timeout=120) as client:
            deals = open_deals(client, 8)
        load = Load(api.url, deals)
        load.thread.start()
        try:
            for mode, seconds in outages:
                load.wait_for_acks(time.monotonic(), 30, seconds=60)
                pg.stop(mode)
                time.sleep(seconds)
                pg.start()
                recoveries.append(load.wait_for_acks(time.monotonic(), 10, seconds=120))
        finally:
            load.stopping.set()
            load.thread.join(180)
        with httpx.Client(base_url=api.url, timeout=120) as client:
            histories = {deal: history(client, deal) for deal in deals}
            feed = read_feed(Settings(database_url=pg.url), client)
            caught_up = wait_for_projections(client)
    ledger = load.ledger
    result = audit(ledger, histories)
    feed_problems = check_feed(feed, histories, [a.body for a in ledger.acknowledged()])
    unavailable = [a for a in ledger.attempts if a.status == 503]
    reads = Counter(status for status, _ in load.reads)
    figures.add(ledger.figures(), **result.figures())
    figures.add({"outages": "+".join(f"{m} {s:g}s" for m, s in outages), "reads": len(load.reads),
                 "reads 503": reads[503], "longest write (s)": round(max(a.seconds for a in ledger.attempts), 1),
                 "recovered after (s)": "/".join("never" if r is None else f"{r:.1f}" for r in recoveries),
                 "feed problems": len(feed_problems), "read model caught up": caught_up})

    assert None not in recoveries, "the service did not recover by itself after PostgreSQL came back"
    assert not ledger.unexpected(frozenset({409, 412, 503})), f"write answers: {ledger.by_status()}"
    assert set(reads) <= {200, 503}, f"read answers: {reads}"
    for status, headers in [(a.status, a.headers) for a in unavailable] + [r for r in load.reads if r[0] == 503]:
        assert headers.get("content-type") == PROBLEM_JSON and headers.get("retry-after"), (status, headers)
    assert result.problems == []
    assert feed_problems == []
    assert caught_up in (True, None), "the read model did not catch up after the outage"
    assert ledger.acknowledged() and ACK in ledger.by_status()


@pytest.mark.postgres
def test_events_inserted_again_after_a_lost_commit_are_not_recorded_twice(figures: Figures) -> None:
    """What the library does when a COMMIT's acknowledgement was lost: insert the same stored events again."""
    url = require_postgres()
    with fresh_schema(url) as schema:
        app = DealsApplication(settings=Settings(database_url=url, postgres_schema=schema, pool_size=1))
        try:
            deal = uuid4()
            events = [StoredEvent(deal, version, "topic:Event", f"state {version}".encode()) for version in (1, 2)]
            first = app.recorder.insert_events(events)
            again = app.recorder.insert_events(events)
            rival = [StoredEvent(deal, 2, "topic:Event", b"another writer's state")]
            with pytest.raises(IntegrityError):
                app.recorder.insert_events(rival)
            stored = app.recorder.select_events(deal)
        finally:
            app.close()
    figures.add({"events inserted": 2, "inserted again": 2, "events found": len(stored)})
    assert again == first
    assert [e.state for e in stored] == [e.state for e in events]


@pytest.mark.parametrize("error", [OperationalError, InterfaceError, ConnectionUnavailableError])
def test_a_failing_store_answers_503_with_retry_after_and_records_nothing(
    error: type[Exception], monkeypatch: pytest.MonkeyPatch, tmp_path: Path, figures: Figures
) -> None:
    """The store's errors once its own retries are spent, injected: reads and writes get a 503 problem."""
    with TestClient(create_app(Settings(database_url=f"sqlite:///{tmp_path}/deals.db"))) as client:
        deal = client.post("/deals", json=OPENING).json()["deal_id"]
        datastore = client.app.state.deals.recorder.datastore  # type: ignore[attr-defined]

        def fail(*args: object, **kwargs: object) -> None:
            raise error("the database went away")

        with monkeypatch.context() as patch:
            patch.setattr(datastore, "transaction", fail)
            answers = [client.get(f"/deals/{deal}/events"),
                       client.post(f"/deals/{deal}/events", json=statement(marker()))]
        after = client.get(f"/deals/{deal}")
    figures.add({"requests sent": len(answers), "unavailable (503)": sum(a.status_code == 503 for a in answers)})
    for answer in answers:
        assert answer.status_code == 503, answer.text
        assert answer.headers["content-type"] == PROBLEM_JSON and int(answer.headers["retry-after"]) > 0
        assert answer.json()["code"] == "store_unavailable"
    assert after.json()["version"] == 3, "the refused write recorded something"
