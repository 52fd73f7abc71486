"""Group commit: one writer thread saves the commands that arrived together in one transaction.

Callers submit jobs (open a deal, or run commands on one) and wait on a future. The writer takes everything that
queued up while its previous save was in flight, decides each job on the deal held in its cache, and saves all
their events with one `app.save(...)`, so the table lock, NOTIFY and commit are paid once per batch.

Correct with several processes: the cache (service/write/deal_cache.py) is only a guess. If another process wrote to a
cached deal, saving its next version trips the store's (deal id, version) key: the batch is then saved again without
the jobs whose aggregates clash, and those are decided again on state read from the store and saved in one more
transaction. On PostgreSQL each writer hears, through LISTEN/NOTIFY, the head versions the others commit
(service/storage/head_notices.py) and first brings just those cached deals up to date with one query, so a deal
written by two processes in turn costs a catch-up, not a refused save and a re-read; a notice still in flight
leaves the clash above as the safety net. Without notices (SQLite, or the listener's connection down) a clash
makes the writer bring every deal of its batches up to date for a while.
A refusal (If-Match mismatch, a domain rule) decided on a cached deal is checked again on fresh state before it is
answered.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import queue
import threading
import time
import weakref
from collections import defaultdict
from concurrent.futures import Future
from concurrent.futures import TimeoutError as FutureTimeout
from typing import Any
from uuid import UUID

from eventsourcing.persistence import IntegrityError, OperationalError
from prometheus_client import Histogram

from service.storage.head_notices import HeadNotices
from service.write import runtime
from service.write.deal_cache import DealCache, newer_events
from service.write.errors import DealExists, WriteConflict
from service.write.jobs import Decided, Job, OpenJob, RecordJob
from service.write.results import Recorded
from service.write.store import DealStore

log = logging.getLogger(__name__)

BATCH_SIZE = Histogram("deals_write_batch_commands", "Commands saved together in one group-commit transaction.",
                       buckets=(1, 2, 4, 8, 16, 32, 64, 128, 256))
# After a clash (another process wrote to a cached deal) the writer brings a batch's cached deals up to date before
# deciding, with one query, for this long: a process that shares its deals with others would otherwise clash often.
SHARED_WINDOW = 60.0

_STOP = object()


class WriteNotAttempted(OperationalError):
    """Raised when a write waited too long for the writer (the event store is unreachable) and was withdrawn."""


class Writer:
    """The single writer thread of one deals application (started on first use)."""

    def __init__(
        self, app: DealStore, cached: bool, batch_max: int, retries: int, queue_timeout: float = 10.0
    ) -> None:
        # Weak: an application dropped without close() is still collected (its __del__ closes it, and stops this).
        self._app = weakref.ref(app)
        self.cache = DealCache(app, cached)
        self.batch_max = batch_max
        self.queue_timeout = queue_timeout
        self.retries = retries
        self.queue: queue.SimpleQueue[Any] = queue.SimpleQueue()
        self.carried: list[Job] = []
        self.settled: list[tuple[Job, Any, BaseException | None]] = []
        self.snapshots: list[Any] = []
        self.shared_until = 0.0
        # PostgreSQL: the deals other processes wrote to, announced at their commits (storage/head_notices.py).
        recorder = app.recorder
        self.notices = HeadNotices(recorder) if hasattr(recorder, "head_token") else None
        self.lock = threading.Lock()
        self.closed = False  # no more jobs are taken
        self.stopping = False  # the writer has reached the stop mark
        runtime.writer_started(app.settings.gc_tuning)
        self.thread = threading.Thread(target=self._run, name="deals-writer", daemon=True)
        self.thread.start()

    def submit(self, job: Job) -> Recorded:
        job.future = Future()
        self._enqueue(job)
        try:
            return job.future.result(timeout=self.queue_timeout)
        except FutureTimeout:
            self._withdraw(job)
        return job.future.result()

    async def submit_async(self, job: Job) -> Recorded:
        job.waiter = asyncio.get_running_loop().create_future()
        self._enqueue(job)
        try:
            return await asyncio.wait_for(asyncio.shield(job.waiter), self.queue_timeout)
        except TimeoutError:
            self._withdraw(job)
        return await job.waiter

    def _withdraw(self, job: Job) -> None:
        """A job still queued after queue_timeout (the writer is stuck, e.g. on a database that went away) is
        withdrawn and refused as unavailable: it was never attempted, so nothing of it is written. One the writer
        has taken is in flight: its caller waits for the outcome."""
        with self.lock:
            if job.taken:
                return
            job.withdrawn = True
        raise WriteNotAttempted(f"the write waited {self.queue_timeout:g} s for the event store and was not attempted")

    def _enqueue(self, job: Job) -> None:
        with self.lock:  # nothing is queued after the stop mark, so nothing is left waiting
            if self.closed:
                raise RuntimeError("the application was closed")
            self.queue.put(job)

    @property
    def app(self) -> DealStore:
        app = self._app()
        if app is None:
            raise RuntimeError("the application was closed")
        return app

    def stop(self) -> None:
        with self.lock:
            self.closed = True
            self.queue.put(_STOP)
        if threading.current_thread() is not self.thread:  # the last reference may go in the writer thread itself
            self.thread.join()
        if self.notices is not None:
            self.notices.stop()

    # ---- the loop --------------------------------------------------------------------------------------------

    def _run(self) -> None:
        while not self.stopping or self.carried:
            batch = self._take()
            try:
                self._commit(batch)
            except BaseException as error:  # never leave a caller waiting
                log.exception("group commit failed")
                settled = {id(job) for job, _, _ in self.settled}
                self.settled += [(job, None, error) for job in batch if id(job) not in settled]
            self._settle_all()
            self._put_snapshots()

    def _settle(self, job: Job, result: Any = None, error: BaseException | None = None) -> None:
        self.settled.append((job, result, error))

    def _settle_all(self) -> None:
        """Answer the batch's callers: one wake-up per event loop rather than one per command."""
        by_loop: dict[asyncio.AbstractEventLoop, list[tuple[Job, Any, BaseException | None]]] = defaultdict(list)
        for job, result, error in self.settled:
            if job.waiter is not None:
                by_loop[job.waiter.get_loop()].append((job, result, error))
            elif job.future is not None:
                if error is None:
                    job.future.set_result(result)
                else:
                    job.future.set_exception(error)
        self.settled = []
        for loop, items in by_loop.items():
            with contextlib.suppress(RuntimeError):  # the loop was closed: nobody waits any more
                loop.call_soon_threadsafe(_settle_waiters, items)

    def _take(self) -> list[Job]:
        """Up to batch_max jobs, at most one per deal: a later job on the same deal waits for the next batch."""
        pending, self.carried = self.carried, []
        if not pending:
            item = self.queue.get()
            if item is _STOP:
                self.stopping = True
                return []
            pending.append(item)
        while len(pending) < self.batch_max:
            try:
                item = self.queue.get_nowait()
            except queue.Empty:
                break
            if item is _STOP:
                self.stopping = True
                break
            pending.append(item)
        with self.lock:
            pending = [job for job in pending if not job.withdrawn]
            for job in pending:
                job.taken = True
        batch: list[Job] = []
        deals: set[UUID] = set()
        for job in pending:
            if job.deal_id in deals:
                self.carried.append(job)
            else:
                deals.add(job.deal_id)
                batch.append(job)
        return batch

    def _commit(self, batch: list[Job]) -> None:
        recorded = [job.deal_id for job in batch if isinstance(job, RecordJob)]
        notices = self.notices
        if notices is not None and notices.take_missed():
            self.shared_until = time.monotonic() + SHARED_WINDOW
        if time.monotonic() < self.shared_until:
            self.cache.catch_up(recorded)
        elif notices is not None:  # only the cached deals another process is known to have written since
            self.cache.catch_up(notices.stale(self.cache.versions(recorded)))
        decided = []
        for job in batch:
            try:
                decided.append(Decided.of(job, self.cache, fresh=False))
            except Exception as error:
                self._settle(job, error=error)
        self._save(decided)

    def _save(self, decided: list[Decided]) -> None:
        if not decided:
            return
        try:
            recordings = self._store(decided)
        except IntegrityError:
            if self.notices is None or not self.notices.trusted:  # the notices tell which deals to catch up
                self.shared_until = time.monotonic() + SHARED_WINDOW
            clashed = self._clashes(decided)
            clashing = [d for d in decided if any(a.id in clashed for a in d.aggregates)] or decided
            self._save([d for d in decided if d not in clashing])
            self._rerun([d.job for d in clashing])
            return
        except Exception as error:
            for d in decided:
                self._settle(d.job, error=error)
            return
        BATCH_SIZE.observe(len(decided))
        self._done(decided, recordings)

    def _store(self, decided: list[Decided]) -> list[Any]:
        """Save the jobs' events, and the records of their idempotency keys, in one transaction."""
        to_stored = self.app.mapper.to_stored_event
        keys = [to_stored(e) for d in decided for e in d.key_events]
        return self.app.save(*[e for d in decided for e in d.events], idempotency_keys=keys)

    def _done(self, decided: list[Decided], recordings: list[Any]) -> None:

        by_deal: dict[UUID, list[Any]] = defaultdict(list)
        for recording in recordings:
            by_deal[recording.domain_event.originator_id].append(recording)
        for d in decided:
            self._snapshot(d)
            self.cache.put(d.deal)  # from now on it does not change: the next job on it decides on a copy
            opened = d.deal if isinstance(d.job, OpenJob) else None
            self._settle(d.job, Recorded(d.deal.id, d.deal.version, by_deal[d.deal.id], opened))

    # ---- conflicts -------------------------------------------------------------------------------------------

    def _clashes(self, decided: list[Decided]) -> set[UUID]:
        """The aggregates whose first new version is already stored (written by someone else): the deals' with one
        query; other aggregates (an idempotency record …) each with its own."""
        firsts: dict[UUID, int] = {}
        key_firsts: dict[UUID, int] = {}
        for d in decided:
            for event in d.events:
                firsts.setdefault(event.originator_id, event.originator_version)
            for event in d.key_events:
                key_firsts.setdefault(event.originator_id, event.originator_version)
        deals = {d.deal.id for d in decided}
        bases = {deal_id: first - 1 for deal_id, first in firsts.items() if deal_id in deals}
        clashed = {UUID(str(e.originator_id)) for e in newer_events(self.app, bases)}
        recorder = self.app.recorder
        clashed |= {agg_id for agg_id, first in firsts.items()
                    if agg_id not in deals and recorder.select_events(agg_id, gt=first - 1, lte=first, limit=1)}
        return clashed | {key_id for key_id, first in key_firsts.items()
                          if recorder.select_key_events(key_id, gt=first - 1, lte=first, limit=1)}

    def _rerun(self, jobs: list[Job]) -> None:
        """Decide the jobs again on state read from the store, and save them together; those whose deal changed
        yet again are re-run again, `retries` times at most."""

        for _ in range(self.retries):
            decided = []
            for job in jobs:
                try:
                    decided.append(Decided.of(job, self.cache, fresh=True))
                except Exception as error:
                    self._settle(job, error=error)
            if not decided:
                return
            try:
                recordings = self._store(decided)
            except IntegrityError as error:
                clashed = self._clashes(decided)
                jobs = []
                for d in decided:
                    refusal = _refusal(d, clashed, error)
                    if refusal is None:
                        jobs.append(d.job)
                    else:
                        self._settle(d.job, error=refusal)
                continue
            except Exception as error:
                for d in decided:
                    self._settle(d.job, error=error)
                return
            BATCH_SIZE.observe(len(decided))
            self._done(decided, recordings)
            return
        for job in jobs:
            self._settle(job, error=WriteConflict(
                f"the deal kept changing under this write ({self.retries} attempts); try again",
                deal_id=str(job.deal_id)))

    # ---- snapshots -------------------------------------------------------------------------------------------

    def _snapshot(self, d: Decided) -> None:
        """Snapshot from memory, at the job's last version, when its events crossed a multiple of the interval.

        The library snapshots at the multiple itself, re-reading the aggregate from the store to get there; a
        snapshot a few versions later serves reads (and time travel, which takes the latest one at or before the
        version asked for) just as well. It is taken now (its state is shared with the deal, which later commands
        change) and stored after the batch's callers were answered, all of the batch's in one transaction.
        """
        intervals = self.app.snapshotting_intervals or {}
        for aggregate in d.aggregates:
            interval = intervals.get(type(aggregate))
            if not interval:
                continue
            versions = [e.originator_version for e in d.events if e.originator_id == aggregate.id]
            if versions and (versions[0] - 1) // interval != versions[-1] // interval:
                snapshot_class = getattr(type(aggregate), "Snapshot", self.app.snapshot_class)
                self.snapshots.append(self.app.snapshots.mapper.to_stored_event(  # type: ignore[union-attr]  # snapshots are on (snapshotting_intervals is set), so the store exists
                    snapshot_class.take(aggregate)))

    def _put_snapshots(self) -> None:
        snapshots, self.snapshots = self.snapshots, []
        if snapshots:
            try:
                self.app.snapshots.recorder.insert_events(snapshots)  # type: ignore[union-attr]  # snapshots are on (snapshotting_intervals is set), so the store exists
            except Exception:  # a snapshot is an optimisation: reads fall back to the events
                log.exception("storing %d snapshots failed", len(snapshots))

def _refusal(d: Decided, clashed: set[UUID], error: IntegrityError) -> Exception | None:
    """What to answer a job whose save clashed on fresh state, or None to try it again: another aggregate saved
    with it (an idempotency record) clashed — the caller decides what that means; or its deal was opened already."""

    if any(a.id in clashed for a in d.aggregates[1:]):
        return error
    if isinstance(d.job, OpenJob) and d.deal.id in clashed:
        return DealExists(f"a deal with the id {d.deal.id} already exists", deal_id=str(d.deal.id))
    return None


def _settle_waiters(items: list[tuple[Job, Any, BaseException | None]]) -> None:
    for job, result, error in items:
        waiter = job.waiter
        if waiter is None or waiter.done():  # done: the request was cancelled (client gone); the write stands
            continue
        if error is None:
            waiter.set_result(result)
        else:
            waiter.set_exception(error)
