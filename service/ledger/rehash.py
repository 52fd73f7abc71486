"""Re-hashing the stored log on every core: what `deals verify` spends its time on (decoding each event as
configured, writing its feed item, hashing it) split into ranges of positions, one per worker process, the
results read back in order.

The workers are forked before the caller opens any database connection (a forked child must not share its
parent's), and each opens its own.
"""

from __future__ import annotations

import multiprocessing
import os
from collections.abc import Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any

from service.ledger.leaves import event_leaf_hash, log_page
from service.settings import Settings

if TYPE_CHECKING:
    from service.application import DealsApplication

MAX_WORKERS = 8  # each opens a database connection; past a few the database is the bound anyway
Row = tuple[int, bytes, int, bytes]  # (position, deal id's 16 bytes, version, leaf hash)
_worker_app: Any = None


def _start_worker(settings: Settings) -> None:
    from service.application import DealsApplication

    global _worker_app
    _worker_app = DealsApplication(settings=settings, env={"POSTGRES_POOL_SIZE": "1", "POSTGRES_MAX_OVERFLOW": "0"})


def _hash_range(bounds: tuple[int | None, int]) -> list[tuple[int, bytes, int, bytes]]:
    """The rows at positions in (low, high] (low None: from the very first row, whatever its position)."""
    low, high = bounds
    found: list[tuple[int, bytes, int, bytes]] = []
    after = low
    while True:
        rows = _worker_app.recorder.select_notifications(start=after, limit=5000, stop=high,
                                                         inclusive_of_start=after is None)
        found += _hashed(rows)
        if len(rows) < 5000:
            return found
        after = rows[-1].id


def _hashed(rows: Any) -> list[Row]:
    return [(n.id, n.originator_id.bytes, n.originator_version, event_leaf_hash(_worker_app, n, n.id, False))
            for n in rows]


@contextmanager
def hashing_pool(settings: Settings, processes: int | None = None) -> Iterator[Any]:
    """Worker processes for `rehashed` (None when there is one core: the caller hashes alone)."""
    processes = processes or min(os.cpu_count() or 1, MAX_WORKERS)
    if processes < 2:
        yield None
        return
    pool = multiprocessing.get_context("fork").Pool(processes, initializer=_start_worker, initargs=(settings,))
    try:
        yield pool
    finally:
        pool.terminate()
        pool.join()


def rehashed(app: DealsApplication, pool: Any, page: int = 5000) -> Iterator[Row]:
    """Every stored event's (position, deal, version, leaf hash), in position order."""
    head = app.recorder.max_notification_id() or 0
    after: int | None = None
    if pool is not None:
        bounds: list[tuple[int | None, int]] = [(None, page)] + [(low, low + page) for low in range(page, head, page)]
        for rows in pool.imap(_hash_range, bounds):
            yield from rows
        after = bounds[-1][1]
    while True:  # what was committed since, or all of it without workers
        rows = log_page(app, after, page, strict=False)
        yield from ((position, deal.bytes, version, digest) for position, deal, version, digest in rows)
        if len(rows) < page:
            return
        after = rows[-1][0]
