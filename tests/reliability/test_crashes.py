"""SIGKILL the API in the middle of a write load, restart it, and check the log: every acknowledged batch is there
exactly once, and each batch that got no answer is there completely or not at all (never half). The API also runs
the read model and webhook delivery, so each kill cuts deliveries off mid-flight: afterwards the read model catches
up and a receiver gets every event, each deal's in version order, a repeat only ever with the same webhook-id and
body."""

from __future__ import annotations

import threading
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import httpx

from tests.reliability.conftest import Backend
from tests.reliability.feed import check_feed, read_feed
from tests.reliability.figures import Figures
from tests.reliability.ledger import Ledger, audit, history
from tests.reliability.load import open_deals, run_clients
from tests.reliability.receivers import FAST_WEBHOOKS, Receiver, subscribe
from tests.reliability.servers import ApiServer
from tests.reliability.waiting import listed_versions, wait_for_projections, wait_until

BATCH = 5
CLIENTS = 16


def kill_after(server: ApiServer, ledger: Ledger, acks: int, seconds: float) -> threading.Thread:
    """SIGKILL the server once `acks` more writes are acknowledged (or `seconds` passed), with writes in flight."""
    target = len(ledger.acknowledged()) + acks
    deadline = time.monotonic() + seconds

    def killer() -> None:
        while len(ledger.acknowledged()) < target and time.monotonic() < deadline:
            time.sleep(0.005)
        server.kill()

    thread = threading.Thread(target=killer, daemon=True)
    thread.start()
    return thread


def writers(ledger: Ledger, deals: list[str], per_client: int):
    def work(index: int, client: httpx.Client, more) -> None:
        for n in range(per_client):
            deal = deals[(index + n) % len(deals)]
            if not more() or ledger.post(client, deal, BATCH, idempotent=True).status is None:
                return  # the server is gone

    return work


def test_killed_api_loses_no_acknowledged_batch_and_shows_no_half_batch(
    backend: Backend, long: bool, figures: Figures, tmp_path: Path
) -> None:
    crashes = 5 if long else 1
    ledger = Ledger()
    receiver = Receiver(delay=0.005).start()
    server = ApiServer(tmp_path / "api.log", **backend.deals_env(), **FAST_WEBHOOKS)
    try:
        server.start()
        with httpx.Client(base_url=server.url, timeout=30) as client:
            subscribe(client, receiver.url)
            deals = open_deals(client, 8)
        for _ in range(crashes):
            killer = kill_after(server, ledger, acks=40, seconds=20)
            run_clients(server.url, CLIENTS, writers(ledger, deals, per_client=400), seconds=60)
            killer.join()
            assert not server.alive
            server.start()
        unanswered = [a for a in ledger.attempts if a.status is None]
        with httpx.Client(base_url=server.url, timeout=30) as client, ThreadPoolExecutor(CLIENTS) as pool:
            before_retries = audit(Ledger(list(ledger.attempts)), {deal: history(client, deal) for deal in deals})
            # In parallel: a retry whose first request was recorded but never answered waits ~5 s for that answer,
            # then gets it rebuilt from the log.
            retries = list(pool.map(lambda attempt: ledger.resend(client, attempt), unanswered))
            after = ledger.post(client, deals[0], BATCH)
            histories = {deal: history(client, deal) for deal in deals}
            feed = read_feed(backend.settings, client)
            caught_up = wait_for_projections(client)
            listed = listed_versions(client)
            expected = {deal: [e["event_id"] for e in events] for deal, events in histories.items()}
            delivered = wait_until(lambda: receiver.first_seen() == expected, 60)
    finally:
        server.stop()
        receiver.stop()
    result = audit(ledger, histories)
    feed_problems = check_feed(feed, histories, [a.body for a in ledger.acknowledged()])
    figures.add(ledger.figures(), crashes=crashes, **result.figures())
    figures.add({"unanswered but written before the resend": before_retries.unanswered_written,
                 "unanswered resent with their key": len(retries),
                 "replayed": sum(r.headers.get("idempotent-replayed") == "true" for r in retries),
                 "recorded, answer lost (409)": sum(r.recorded_unanswered for r in retries)})
    figures.add({"feed problems": len(feed_problems), "read model caught up": caught_up,
                 "webhooks delivered": len(receiver.received()), "webhook repeats": receiver.duplicates(),
                 "all delivered": delivered is not None})

    assert after.status == 201, "the restarted server does not accept writes"
    assert not ledger.unexpected(), f"answers other than 201/409/412: {ledger.by_status()}"
    # A write recorded but unanswered is answered from the log: every resend gets its 201.
    assert all(r.status == 201 for r in retries), [(r.status, r.code) for r in retries]
    assert before_retries.problems == [] and result.problems == []
    assert feed_problems == []
    assert caught_up in (True, None), "the read model did not catch up after the restart"
    assert listed == {deal: len(events) for deal, events in histories.items()}
    assert delivered is not None, "the receiver did not get every event after the restarts"
    assert receiver.conflicting_redeliveries() == 0
    assert receiver.first_seen() == expected
