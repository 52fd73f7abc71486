"""`deals worker --check`, the compose worker's healthcheck: healthy while a worker beats and its database answers."""

from __future__ import annotations

import os
import re
import sys
import time
from pathlib import Path

from service.settings import Settings
from tests.hardening.test_cli import deals
from tests.reliability.servers import Process, free_port, service_env


def _env(settings: Settings) -> dict[str, str]:
    return {"database_url": settings.database_url, "postgres_schema": settings.postgres_schema}


def test_worker_check_is_healthy_only_while_a_worker_beats(settings: Settings, tmp_path: Path) -> None:
    beat = tmp_path / "worker.heartbeat"
    before = deals("worker", "--check", "--heartbeat-file", str(beat), **_env(settings))
    assert before.returncode == 1
    assert f"no worker heartbeat at {beat}" in before.stderr

    worker = Process([sys.executable, "-m", "service.entrypoints.cli", "worker", "--heartbeat-file", str(beat)],
                     service_env(**_env(settings)), tmp_path / "worker.log")
    worker.spawn()
    try:
        deadline = time.monotonic() + 60
        while not beat.exists():
            assert worker.alive and time.monotonic() < deadline, worker.tail()
            time.sleep(0.1)
        running = deals("worker", "--check", "--heartbeat-file", str(beat), **_env(settings))
        assert (running.returncode, running.stdout.strip()) == (0, "worker healthy"), running.stderr
    finally:
        worker.stop()
    assert not beat.exists()  # a worker that stopped cleanly leaves no heartbeat behind


def test_worker_check_fails_on_a_stale_heartbeat_or_a_database_that_does_not_answer(tmp_path: Path) -> None:
    beat = tmp_path / "worker.heartbeat"
    beat.write_text("0\n")
    old = time.time() - 120
    os.utime(beat, (old, old))
    (tmp_path / "deals.db").touch()
    stale = deals("worker", "--check", "--heartbeat-file", str(beat), database_url=f"sqlite:///{tmp_path}/deals.db")
    assert stale.returncode == 1
    # the age is read when the check runs, so on a slow host it may be past 120 s: assert on the meaning
    age = re.search(r"heartbeat is (\d+) s old \(more than (\d+) s\): the worker is stuck", stale.stderr)
    assert age, stale.stderr
    assert int(age[1]) >= 120 > int(age[2])

    beat.touch()
    unreachable = f"postgresql://deals@127.0.0.1:{free_port()}/deals"
    down = deals("worker", "--check", "--heartbeat-file", str(beat), database_url=unreachable)
    assert down.returncode == 1
    assert down.stderr.startswith("the database does not answer:")
    missing = deals("worker", "--check", "--heartbeat-file", str(beat), database_url=f"sqlite:///{tmp_path}/no.db")
    assert (missing.returncode, missing.stderr.strip()) == (1, f"the SQLite database {tmp_path}/no.db does not exist")
