"""Several replicas: one process at a time hashes the log and cuts checkpoints; another takes over when it stops."""

from __future__ import annotations

import time

from fastapi.testclient import TestClient

from service.api.main import create_app
from service.entrypoints.demo import record_story
from service.ledger.follower import LedgerWorker
from service.ledger.store import LedgerStore
from service.settings import Settings
from tests.ledger.helpers import with_ledger


def _until(condition, timeout: float = 20.0) -> None:  # type: ignore[no-untyped-def]
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.05)


def test_one_replica_cuts_checkpoints_and_another_takes_over(settings: Settings) -> None:
    ledger = with_ledger(settings, run_background=False)
    first, second = LedgerWorker(ledger), LedgerWorker(ledger)
    store = LedgerStore(ledger)
    try:
        with TestClient(create_app(ledger)) as client:  # its tables made before the workers' applications start
            first.start()
            second.start()
            record_story(client)
            head = client.get("/events").json()["next_after"]
            _until(lambda: (store.latest_checkpoint() or _none).tree_size == head)
            holders = [w for w in (first, second) if w.exclusive and w.exclusive.holding.is_set()]
            assert len(holders) == 1
            holders[0].stop()
            other = second if holders[0] is first else first
            record_story(client)
            head = client.get("/events").json()["next_after"]
            _until(lambda: (store.latest_checkpoint() or _none).tree_size == head)
            assert other.exclusive is not None and other.exclusive.holding.is_set()
        sizes = [c.tree_size for c in store.list_checkpoints()]
        assert sizes == sorted(set(sizes), reverse=True) and store.size()[0] == head
    finally:
        store.close()
        for worker in (first, second):
            if worker.exclusive is not None and worker.exclusive._thread.is_alive():
                worker.stop()


class _None:
    tree_size = -1


_none = _None()
