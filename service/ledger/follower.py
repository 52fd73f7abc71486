"""Keeps the Merkle tree up with the log and cuts signed checkpoints, in one process at a time.

It runs off the request path, as the projections do, under the `ledger` lock of projections/exclusive.py (a
PostgreSQL advisory lock or a file lock on SQLite): whichever API replica or worker holds it hashes new events a
page per transaction and, at most once per DEALS_LOG_CHECKPOINT_INTERVAL and only when the tree grew, signs a
checkpoint. The others wait to take over.
"""

from __future__ import annotations

import logging
import threading
import time

from service.ledger.keys import LogKey
from service.ledger.leaves import log_page
from service.ledger.merkle import range_hash, range_keys
from service.ledger.note import Checkpoint, sign
from service.ledger.store import LedgerStore, StoredCheckpoint
from service.projections.exclusive import Exclusive, lock_for
from service.settings import Settings

log = logging.getLogger(__name__)
NAME = "ledger"


def root_of(store: LedgerStore, size: int) -> bytes:
    return range_hash(0, size, store.read_nodes(range_keys(0, size) if size else ()))


def extend(app: object, store: LedgerStore, page: int = 2000) -> int:
    """Hash one page of new events into the tree; returns how many."""
    size, position = store.size()
    leaves = log_page(app, position, page)  # type: ignore[arg-type]
    if leaves:
        store.append(size, leaves)
    return len(leaves)


def cut(store: LedgerStore, key: LogKey) -> StoredCheckpoint | None:
    """Sign a checkpoint of the whole tree if it grew since the last one."""
    size, _ = store.size()
    latest = store.latest_checkpoint()
    if size == 0 or (latest is not None and latest.tree_size >= size):
        return None
    root = root_of(store, size)
    note = sign(Checkpoint(key.origin, size, root), key.origin, key.private)
    checkpoint = StoredCheckpoint(size, root, note, time.time())
    store.add_checkpoint(checkpoint)
    return checkpoint


class Following:
    """The work under the lock: a thread that hashes and cuts until stopped."""

    def __init__(self, settings: Settings, key: LogKey, poll: float = 0.1) -> None:
        from service.application import DealsApplication

        self.settings, self.key, self.poll = settings, key, poll
        self.app = DealsApplication(settings=settings, env={"POSTGRES_POOL_SIZE": "1", "POSTGRES_MAX_OVERFLOW": "1"})
        self.store = LedgerStore(settings)
        self._stop = threading.Event()
        self._error: BaseException | None = None
        self._thread = threading.Thread(target=self._run, name="ledger-follower", daemon=True)
        self._thread.start()

    def _run(self) -> None:
        last_cut = 0.0
        try:
            while not self._stop.is_set():
                added = extend(self.app, self.store)
                now = time.monotonic()
                if now - last_cut >= self.settings.log_checkpoint_interval and cut(self.store, self.key):
                    last_cut = now
                if not added:
                    self._stop.wait(self.poll)
        except BaseException as error:
            log.exception("the ledger follower failed")
            self._error = error

    def failed(self) -> bool:
        return self._error is not None or not self._thread.is_alive()

    def stop(self) -> None:
        self._stop.set()
        self._thread.join()
        self.store.close()
        self.app.close()


class LedgerWorker:
    """The background component (service/background.py); does nothing without DEALS_LOG_SIGNING_KEY."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self.key = LogKey.from_settings(settings)
        self.exclusive = Exclusive(lock_for(settings, NAME), self._start, NAME) if self.key else None

    def _start(self) -> Following:
        assert self.key is not None
        return Following(self.settings, self.key)

    def start(self) -> None:
        if self.exclusive is not None:
            self.exclusive.start()

    def stop(self) -> None:
        if self.exclusive is not None:
            self.exclusive.stop()
