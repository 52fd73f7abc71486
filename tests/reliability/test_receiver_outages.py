"""Webhook receivers that misbehave, against a real server under a write load (compressed retry schedule).

A receiver that is down for a while gets everything once it is back, each deal's events first arriving in version
order; a slow receiver and one answering garbage stall nobody: a healthy receiver gets every event while the first is
still down. The quick form runs on SQLite, --long on PostgreSQL too.
"""

from __future__ import annotations

import time
from pathlib import Path

import httpx

from tests.reliability.conftest import Backend
from tests.reliability.figures import Figures
from tests.reliability.ledger import Ledger, history
from tests.reliability.load import open_deals, run_clients
from tests.reliability.receivers import FAST_WEBHOOKS, GarbageReceiver, Receiver, subscribe
from tests.reliability.servers import ApiServer
from tests.reliability.waiting import wait_until

QUICK_ON_SQLITE_ONLY = True


def test_receiver_outage_slowness_and_garbage_stall_nobody_and_lose_nothing(
    backend: Backend, long: bool, figures: Figures, tmp_path: Path
) -> None:
    outage = 10.0 if long else 3.0
    healthy, late, slow, garbage = Receiver(), Receiver(), Receiver(delay=0.3), GarbageReceiver()
    healthy.start(), slow.start()
    ledger = Ledger()
    try:
        with ApiServer(tmp_path / "api.log", **backend.deals_env(), **FAST_WEBHOOKS) as api, \
                httpx.Client(base_url=api.url, timeout=30) as client:
            endpoints = {name: subscribe(client, r.url) for name, r in
                         (("healthy", healthy), ("late", late), ("slow", slow), ("garbage", garbage))}
            down_since = time.monotonic()
            deals = open_deals(client, 12 if long else 6)

            def work(index: int, http: httpx.Client, more) -> None:
                for n in range(40 if long else 8):
                    if more():
                        ledger.post(http, deals[(index + n) % len(deals)], 1 + n % 2)

            run_clients(api.url, 8, work, seconds=120)
            expected = {deal: [e["event_id"] for e in history(client, deal)] for deal in deals}
            total = sum(map(len, expected.values()))
            healthy_done = wait_until(lambda: healthy.first_seen() == expected, 60)
            late_got_while_down = len(late.received())
            time.sleep(max(0.0, outage - (time.monotonic() - down_since)))
            late.start()
            late_done = wait_until(lambda: late.first_seen() == expected, 60)
            slow_done = wait_until(lambda: slow.first_seen() == expected, 60)
            garbage_log = client.get(f"/webhooks/{endpoints['garbage']}/deliveries", params={"limit": 500}).json()
    finally:
        for receiver in (healthy, late, slow, garbage):
            receiver.stop()
    garbage_attempts = [a for d in garbage_log["items"] for a in d["attempts"]]
    figures.add({"requests sent": len(ledger.attempts), "acknowledged": len(ledger.acknowledged()),
                 "events": total, "receiver down (s)": outage,
                 "healthy: all in (s)": _seconds(healthy_done), "late: all in after up (s)": _seconds(late_done),
                 "slow: all in (s)": _seconds(slow_done),
                 "deliveries healthy/late/slow": f"{len(healthy.received())}/{len(late.received())}/"
                                                 f"{len(slow.received())}",
                 "duplicates": healthy.duplicates() + late.duplicates() + slow.duplicates(),
                 "garbage attempts": len(garbage_attempts), "garbage successes":
                     sum(1 for d in garbage_log["items"] if d["status"] == "succeeded")})

    assert ledger.acknowledged() and not ledger.unexpected()
    assert healthy_done is not None, "the healthy receiver did not get every event while another was down"
    assert late_got_while_down == 0
    assert late_done is not None, "the receiver that was down did not get every event once back"
    assert slow_done is not None, "the slow receiver did not get every event"
    for receiver in (healthy, late, slow):
        assert receiver.conflicting_redeliveries() == 0
        assert receiver.first_seen() == expected  # per deal, first arrivals in version order
    assert garbage.connections > 0 and garbage_attempts
    assert all(d["status"] != "succeeded" for d in garbage_log["items"])


def _seconds(value: float | None) -> str:
    return "never" if value is None else f"{value:.1f}"
