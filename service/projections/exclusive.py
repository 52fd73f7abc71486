"""Run a piece of background work in one process at a time: the others wait and take over when its holder dies.

On PostgreSQL the lock is a session advisory lock held on a connection of its own: the server releases it when
the holder's connection ends, however the process died. On SQLite (one machine) it is an flock on a file next to
the database, which the kernel releases when the process dies. `Exclusive` is the background component that
takes the lock, starts the work, watches both, and restarts the work (after a pause) if it fails.
"""

from __future__ import annotations

import contextlib
import fcntl
import logging
import os
import threading
from collections.abc import Callable
from pathlib import Path
from typing import Protocol

import psycopg

from service.projections.faults import PoisonedEvent
from service.settings import Settings
from service.storage.pg_tables import lock_key

log = logging.getLogger(__name__)


class Lock(Protocol):
    def try_acquire(self) -> bool: ...

    def holds(self) -> bool: ...

    def release(self) -> None: ...


class Work(Protocol):
    def failed(self) -> bool: ...

    def stop(self) -> None: ...


class AdvisoryLock:
    """A PostgreSQL session advisory lock on a dedicated connection."""

    def __init__(self, conninfo: str, name: str) -> None:
        self.conninfo = conninfo
        self.name = name
        self.key = lock_key(name)
        self._conn: psycopg.Connection | None = None

    def try_acquire(self) -> bool:
        try:
            if self._conn is None or self._conn.closed:
                self._conn = psycopg.connect(self.conninfo, autocommit=True, connect_timeout=5)
            row = self._conn.execute("SELECT pg_try_advisory_lock(%s)", (self.key,)).fetchone()
            return bool(row and row[0])
        except psycopg.Error as error:
            log.warning("could not try the lock %s: %s", self.name, error)
            self.release()
            return False

    def holds(self) -> bool:
        """True while the connection that holds the lock is alive (the server drops the lock with it)."""
        if self._conn is None or self._conn.closed:
            return False
        try:
            self._conn.execute("SELECT 1")
            return True
        except psycopg.Error:
            return False

    def release(self) -> None:
        if self._conn is not None:
            # Unlock before closing: the server drops a closed session's locks only once it has noticed the close,
            # so the next holder would otherwise find the lock still taken for a moment.
            with contextlib.suppress(psycopg.Error):
                self._conn.execute("SELECT pg_advisory_unlock(%s)", (self.key,))
            self._conn.close()
            self._conn = None


class FileLock:
    """An exclusive flock on a file; also excludes a second holder in the same process (flock is per open file)."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._fd: int | None = None

    def try_acquire(self) -> bool:
        fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o644)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            os.close(fd)
            return False
        self._fd = fd
        return True

    def holds(self) -> bool:
        return self._fd is not None

    def release(self) -> None:
        if self._fd is not None:
            os.close(self._fd)
            self._fd = None


def lock_for(settings: Settings, name: str) -> Lock:
    """The lock that lets one process at a time do the work called `name` on this database."""
    if settings.is_postgres:
        return AdvisoryLock(settings.database_url, f"deals:{settings.postgres_schema}:{name}")
    path = settings.sqlite_path
    return FileLock(path.with_name(f"{path.stem}.{name}.lock"))


class Exclusive:
    """A background component: while this process holds the lock, `start_work` runs; else it waits its turn."""

    def __init__(
        self, lock: Lock, start_work: Callable[[], Work], name: str, retry_interval: float = 1.0,
        check_interval: float = 1.0,
    ) -> None:
        self.lock = lock
        self.start_work = start_work
        self.name = name
        self.retry_interval = retry_interval
        self.check_interval = check_interval
        self.holding = threading.Event()
        self._stopping = threading.Event()
        self._thread = threading.Thread(target=self._run, name=f"exclusive-{name}", daemon=True)

    @property
    def stopping(self) -> threading.Event:
        """Set when the component is asked to stop: long work (a catch-up) can look at it and end early."""
        return self._stopping

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        self._stopping.set()
        self._thread.join()

    def _run(self) -> None:
        while not self._stopping.is_set():
            if self.lock.try_acquire():
                self.holding.set()
                try:
                    self._hold()
                finally:
                    self.holding.clear()
                    self.lock.release()
            if not self._stopping.is_set():
                self._stopping.wait(self.retry_interval)

    def _hold(self) -> None:
        log.info("%s: this process holds the lock and runs the work", self.name)
        try:
            work = self.start_work()
        except PoisonedEvent:
            return  # the work reported it (faults.py), and says there when it is stuck
        except Exception:
            log.exception("%s: starting the work failed; will try again", self.name)
            return
        try:
            while not self._stopping.wait(self.check_interval):
                if getattr(work, "wants_restart", lambda: False)():
                    log.info("%s: restarting the work, as it asked (it is far behind and catches up in bulk)",
                             self.name)
                    return
                if work.failed():
                    log.warning("%s: the work stopped or asked to be restarted; restarting it", self.name)
                    return
                if not self.lock.holds():
                    log.error("%s: lost the lock; stopping the work", self.name)
                    return
        finally:
            try:
                work.stop()
            except Exception:
                log.exception("%s: the work ended with an error", self.name)
