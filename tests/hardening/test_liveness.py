"""/healthz stays live while the followers catch up on a backlog: liveness is the process answering, readiness
is where catching up shows."""

from __future__ import annotations

import statistics
import time
import uuid
from pathlib import Path

import httpx

from domain.commands import RecordStatement
from domain.values import Speaker, Stance
from service.application import DealsApplication
from service.settings import Settings
from tests.commands import opening
from tests.projections.helpers import T0, UA, US, at
from tests.reliability.servers import ApiServer

BACKLOG = 3000  # events no follower has seen: more than the deal list's bulk catch-up threshold (2,000)


def backlog(settings: Settings) -> int:
    app = DealsApplication(settings=settings)
    try:
        speaker = Speaker("spokesperson", None, "US")
        while (app.recorder.max_notification_id() or 0) < BACKLOG:
            deal_id = app.open_deal(*opening(uuid.uuid4(), "backlog", T0, parties=[US, UA])).deal_id
            statements = [
                RecordStatement(statement_id=f"s{n}", speaker=speaker, quote="talks go on", stance=Stance.NEUTRAL,
                                occurred_at=at(10 + n))
                for n in range(200)
            ]
            app.record(deal_id, statements)
        return app.recorder.max_notification_id() or 0
    finally:
        app.close()


def test_healthz_answers_at_once_while_the_followers_catch_up(settings: Settings, tmp_path: Path) -> None:
    head = backlog(settings)
    latencies, ready_after = [], None
    with ApiServer(tmp_path / "api.log", database_url=settings.database_url, postgres_schema=settings.postgres_schema,
                   ledger_checkpoint_interval="0.2") as api, httpx.Client(base_url=api.url, timeout=10) as client:
        began = time.monotonic()
        while time.monotonic() - began < 60:
            sent = time.perf_counter()
            live = client.get("/healthz")
            latencies.append(time.perf_counter() - sent)
            assert live.status_code == 200 and live.json() == {"status": "ok"}
            ready = client.get("/readyz")
            proofs = client.get("/log/proof/inclusion", params={"position": head})
            if ready.status_code == 200 and proofs.status_code == 200 and len(latencies) >= 20:
                ready_after = time.monotonic() - began
                break
        log = api.log.read_text()
    assert ready_after is not None, "the followers never caught up"
    # A liveness probe with a 1 s timeout must never fail; most answers take a few milliseconds.
    assert max(latencies) < 1.0, f"slowest /healthz {max(latencies):.3f} s"
    assert statistics.median(latencies) < 0.1, f"median /healthz {statistics.median(latencies):.3f} s"
    assert "the work stopped or asked to be restarted" not in log
