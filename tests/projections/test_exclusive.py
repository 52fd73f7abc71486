"""One process at a time: the lock (flock on SQLite, advisory lock on PostgreSQL) and the component that waits for
it, runs the work while holding it, hands over when stopped, and restarts work that failed."""

from __future__ import annotations

import logging
import threading
import time

import psycopg
import pytest

from service.projections.exclusive import AdvisoryLock, Exclusive, lock_for
from service.settings import Settings


class FakeWork:
    def __init__(self, log: list[str], name: str) -> None:
        self.log, self.name = log, name
        self.broken = threading.Event()
        log.append(f"{name} started")

    def failed(self) -> bool:
        return self.broken.is_set()

    def stop(self) -> None:
        self.log.append(f"{self.name} stopped")


def wait_for(condition: object, timeout: float = 10) -> None:
    deadline = time.monotonic() + timeout
    while not condition():  # type: ignore[operator]
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.02)


def test_only_one_holder_at_a_time_and_the_next_takes_over_on_release(settings: Settings) -> None:
    first, second = lock_for(settings, "test-work"), lock_for(settings, "test-work")

    assert first.try_acquire() is True
    assert second.try_acquire() is False
    first.release()
    assert second.try_acquire() is True
    other = lock_for(settings, "other-work")
    assert other.try_acquire() is True
    other.release()
    second.release()


@pytest.mark.postgres
def test_the_advisory_lock_passes_on_when_its_holder_s_connection_dies(postgres_settings: Settings) -> None:
    first, second = lock_for(postgres_settings, "test-work"), lock_for(postgres_settings, "test-work")
    assert isinstance(first, AdvisoryLock) and first.try_acquire()
    assert second.try_acquire() is False
    pid = first._conn.info.backend_pid  # type: ignore[union-attr]

    with psycopg.connect(postgres_settings.database_url, autocommit=True) as admin:
        admin.execute("SELECT pg_terminate_backend(%s)", (pid,))

    assert first.holds() is False
    wait_for(second.try_acquire)
    second.release()
    first.release()


def test_the_component_runs_the_work_in_one_holder_and_hands_over_when_stopped(settings: Settings) -> None:
    log: list[str] = []
    works: list[FakeWork] = []

    def starter(name: str) -> object:
        def start() -> FakeWork:
            works.append(FakeWork(log, name))
            return works[-1]
        return start

    a = Exclusive(lock_for(settings, "test-work"), starter("a"), "a", retry_interval=0.05, check_interval=0.05)
    b = Exclusive(lock_for(settings, "test-work"), starter("b"), "b", retry_interval=0.05, check_interval=0.05)
    a.start()
    wait_for(a.holding.is_set)
    b.start()
    time.sleep(0.3)
    assert log == ["a started"] and not b.holding.is_set()

    a.stop()
    wait_for(b.holding.is_set)
    works[-1].broken.set()  # b's work fails: it is stopped and started again
    wait_for(lambda: len(works) == 3)
    b.stop()

    assert log[:4] == ["a started", "a stopped", "b started", "b stopped"]
    assert log[4:] == ["b started", "b stopped"]


class FarBehind(FakeWork):
    """Work that asks to be restarted (a projection far behind, whose restart catches up in bulk)."""

    def __init__(self, log: list[str], name: str) -> None:
        super().__init__(log, name)
        self.behind = threading.Event()

    def wants_restart(self) -> bool:
        return self.behind.is_set()


def test_work_that_asks_for_a_restart_is_restarted_without_a_warning(
        settings: Settings, caplog: pytest.LogCaptureFixture) -> None:
    log: list[str] = []
    works: list[FarBehind] = []

    def start() -> FarBehind:
        works.append(FarBehind(log, "w"))
        return works[-1]

    caplog.set_level(logging.INFO, logger="service.projections.exclusive")
    component = Exclusive(lock_for(settings, "test-work"), start, "w", retry_interval=0.05,
                          check_interval=0.05)
    component.start()
    try:
        wait_for(lambda: works)
        works[0].behind.set()  # the designed path: not a failure
        wait_for(lambda: len(works) == 2)
        asked = [r for r in caplog.records if "restarting the work, as it asked" in r.getMessage()]
        assert asked and all(r.levelno == logging.INFO for r in asked)
        assert not [r for r in caplog.records if r.levelno >= logging.WARNING]

        works[1].broken.set()  # a failure still says so
        wait_for(lambda: len(works) == 3)
        assert [r for r in caplog.records if r.levelno == logging.WARNING and "stopped" in r.getMessage()]
    finally:
        component.stop()
