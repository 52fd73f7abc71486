"""Keeps the Merkle tree up with the log and cuts signed checkpoints, in one process at a time.

It runs off the request path, as the projections do, under the `ledger` lock of projections/exclusive.py (a
PostgreSQL advisory lock or a file lock on SQLite): whichever API replica or worker holds it hashes new events a
page per transaction and, at most once per DEALS_LEDGER_CHECKPOINT_INTERVAL and only when the tree grew, signs a
checkpoint. The others wait to take over.

Without a signing key (PostgreSQL, DEALS_LEDGER_SIGNING_KEY unset) the tree is kept all the same: turning signing
on later signs the tree as it stands. A new key is recorded in the store's list of keys when the follower starts,
with the tree size it takes over at, and signs a checkpoint at once.
"""

from __future__ import annotations

import logging
import threading
import time
from typing import TYPE_CHECKING

from service.ledger.keys import UNSIGNED, LogKey
from service.ledger.leaves import log_page
from service.ledger.merkle import range_hash, range_keys
from service.ledger.note import Checkpoint, sign
from service.ledger.store import LedgerStore, StoredCheckpoint
from service.projections.exclusive import Exclusive, lock_for
from service.settings import Settings

if TYPE_CHECKING:
    from service.application import DealsApplication

log = logging.getLogger(__name__)
NAME = "ledger"


def root_of(store: LedgerStore, size: int) -> bytes:
    return range_hash(0, size, store.read_nodes(range_keys(0, size) if size else ()))


PAGE = 2000


def extend(app: DealsApplication, store: LedgerStore, page: int = PAGE) -> int:
    """Hash one page of new events into the tree; returns how many."""
    size, position = store.size()
    leaves = log_page(app, position, page)
    if leaves:
        store.append(size, leaves)
    return len(leaves)


def cut(store: LedgerStore, key: LogKey, resign: bool = False) -> StoredCheckpoint | None:
    """Sign a checkpoint of the whole tree if it grew since the last one (resign: or if the latest one is of the
    whole tree, sign it again, with a key that has just taken over)."""
    size, _ = store.size()
    latest = store.latest_checkpoint()
    if size == 0 or (latest is not None and latest.tree_size > size):
        return None
    if latest is not None and latest.tree_size == size and not resign:
        return None
    root = root_of(store, size)
    note = sign(Checkpoint(key.origin, size, root), key.origin, key.private)
    checkpoint = StoredCheckpoint(size, root, note, time.time())
    if latest is not None and latest.tree_size == size:
        store.replace_checkpoint(checkpoint)
    else:
        store.add_checkpoint(checkpoint)
    return checkpoint


def take_over(store: LedgerStore, key: LogKey) -> None:
    """Record a key the log has not signed with yet, and sign the tree as it stands with it."""
    kept = [verifier for verifier, _, _ in store.signing_keys()]
    if key.verifier in kept:
        return
    size, _ = store.size()
    store.add_signing_key(key.verifier, size, time.time())
    if kept:
        log.warning("the log's signing key changed: %s signs from tree size %s on; the keys it replaces stay "
                    "listed at GET /log/keys, so checkpoints they signed still verify", key.verifier, size)
    cut(store, key, resign=True)


class CatchUp:
    """Says how far the tree is when it has much of the log to hash (a log kept before the ledger was on)."""

    EVERY = 5.0  # seconds between two progress lines
    FAR = 1_000  # events behind that make it worth saying

    def __init__(self, app: DealsApplication, store: LedgerStore) -> None:
        self.head = app.recorder.max_notification_id() or 0
        _, position = store.size()
        self.active = self.head - position > self.FAR
        self.said = time.monotonic()
        if self.active:
            log.info("the log's tree is catching up: %s events to hash, from position %s", self.head - position,
                     position + 1)

    def progressed(self, store: LedgerStore, added: int) -> None:
        if not self.active:
            return
        size, position = store.size()
        if not added or position >= self.head:
            log.info("the log's tree caught up: %s leaves, to position %s", size, position)
            self.active = False
        elif time.monotonic() - self.said >= self.EVERY:
            self.said = time.monotonic()
            log.info("the log's tree is catching up: position %s of %s (%s leaves)", position, self.head, size)


class Following:
    """The work under the lock: a thread that hashes and cuts until stopped."""

    def __init__(self, settings: Settings, key: LogKey | None, poll: float = 0.25) -> None:
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
            if self.key is not None:
                take_over(self.store, self.key)
            catching_up = CatchUp(self.app, self.store)
            while not self._stop.is_set():
                added = extend(self.app, self.store)
                catching_up.progressed(self.store, added)
                now = time.monotonic()
                if (self.key is not None and now - last_cut >= self.settings.ledger_checkpoint_interval
                        and cut(self.store, self.key)):
                    last_cut = now
                if added < PAGE:  # caught up: let the next events gather into one page, not one each
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
    """The background component (service/bootstrap.py); does nothing with DEALS_LEDGER=off."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self.key = LogKey.from_settings(settings) if settings.ledger else None
        self.exclusive = Exclusive(lock_for(settings, NAME), self._start, NAME) if settings.ledger else None

    def _start(self) -> Following:
        return Following(self.settings, self.key)

    def start(self) -> None:
        if self.exclusive is not None:
            if self.key is None:
                log.warning(UNSIGNED)
            self.exclusive.start()

    def stop(self) -> None:
        if self.exclusive is not None:
            self.exclusive.stop()
