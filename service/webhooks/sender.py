"""The sender: claims due deliveries, attempts them concurrently on an asyncio loop, and records what happened.

Three threads: the claimer leases due deliveries (woken by new work, else polling for due retries), the loop sends
them, and the recorder writes outcomes in batches and frees their slots. A delivery's lease outlives its attempt's
timeout, so a delivery in flight is never taken by another sender; if this process dies the lease runs out and
another sender (or this one, restarted) sends it again with the same webhook-id.
"""

from __future__ import annotations

import asyncio
import logging
import queue
import threading
import time
from collections import Counter
from concurrent.futures import Future
from datetime import UTC, datetime

from service.observability.metrics import WEBHOOK_DELIVERIES
from service.settings import Settings
from service.webhooks.attempt import Attempts
from service.webhooks.records import Claimed, Outcome
from service.webhooks.store import WebhookStore

log = logging.getLogger(__name__)
CLAIM_BATCH = 100
RECORD_BATCH = 500
STOP_GRACE = 1.0


class Sender:
    def __init__(self, store: WebhookStore, settings: Settings) -> None:
        self.store = store
        self.settings = settings
        self.attempts = Attempts(settings)
        self._wake = store.subscribe()
        self._stopping = threading.Event()
        self._outcomes: queue.SimpleQueue[Outcome | None] = queue.SimpleQueue()
        self._lock = threading.Lock()
        self._in_flight: dict[int, Claimed] = {}
        self._futures: dict[int, Future[None]] = {}
        self._loop = asyncio.new_event_loop()
        self._loop_thread = threading.Thread(target=self._loop.run_forever, name="webhook-send", daemon=True)
        self._claimer = threading.Thread(target=self._claim_loop, name="webhook-claim", daemon=True)
        self._recorder = threading.Thread(target=self._record_loop, name="webhook-record", daemon=True)

    def start(self) -> None:
        self._loop_thread.start()
        self._recorder.start()
        self._claimer.start()

    def stop(self) -> None:
        self._stopping.set()
        self._wake.set()
        self._claimer.join()
        deadline = time.monotonic() + min(STOP_GRACE, self.settings.webhook_timeout)
        while self._in_flight and time.monotonic() < deadline:
            time.sleep(0.01)
        with self._lock:
            for future in self._futures.values():
                future.cancel()
        self._outcomes.put(None)
        self._recorder.join()
        with self._lock:
            unsent = list(self._in_flight.values())
        if unsent:
            try:
                self.store.release(unsent)
            except Exception:
                log.exception("could not release %d leases; they run out by themselves", len(unsent))
        asyncio.run_coroutine_threadsafe(self.attempts.aclose(), self._loop).result(timeout=5)
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._loop_thread.join()
        self._loop.close()
        self.store.unsubscribe(self._wake)

    def _claim_loop(self) -> None:
        while not self._stopping.is_set():
            self._wake.clear()
            wanted = min(self.settings.webhook_concurrency - len(self._in_flight), CLAIM_BATCH)
            claimed: list[Claimed] = []
            if wanted > 0:
                try:
                    claimed = self._claim(wanted)
                except Exception:
                    log.exception("claiming webhook deliveries failed")
            for delivery in claimed:
                with self._lock:
                    self._in_flight[delivery.delivery_id] = delivery
                    self._futures[delivery.delivery_id] = asyncio.run_coroutine_threadsafe(
                        self._send(delivery), self._loop
                    )
            if claimed and len(claimed) == wanted:
                continue  # more may be due
            self._wake.wait(self.settings.webhook_poll_interval)

    def _claim(self, wanted: int) -> list[Claimed]:
        """Due deliveries, at most `webhook_endpoint_concurrency` in flight per endpoint: the excess of a claim is
        given back at once (it goes out when the endpoint has room)."""
        cap = self.settings.webhook_endpoint_concurrency
        with self._lock:
            sending = Counter(d.endpoint_id for d in self._in_flight.values())
        full = [endpoint for endpoint, count in sending.items() if count >= cap]
        claimed = self.store.claim(datetime.now(UTC), self.settings.webhook_lease, wanted, skip=full)
        kept: list[Claimed] = []
        excess: list[Claimed] = []
        for delivery in claimed:
            sending[delivery.endpoint_id] += 1
            (kept if sending[delivery.endpoint_id] <= cap else excess).append(delivery)
        if excess:
            self.store.release(excess)
        return kept

    async def _send(self, delivery: Claimed) -> None:
        self._outcomes.put(await self.attempts.attempt(delivery))

    def _record_loop(self) -> None:
        ending = False
        while not ending:
            batch: list[Outcome] = []
            item = self._outcomes.get()
            while True:
                if item is None:
                    ending = True
                else:
                    batch.append(item)
                if len(batch) >= RECORD_BATCH:
                    break
                try:
                    item = self._outcomes.get_nowait()
                except queue.Empty:
                    break
            if batch:
                self._record(batch)

    def _record(self, batch: list[Outcome]) -> None:
        while True:
            try:
                self.store.record(batch, datetime.now(UTC), self.settings.webhook_disable_after)
                break
            except Exception:
                log.exception("recording %d webhook attempts failed", len(batch))
                if self._stopping.wait(self.settings.webhook_poll_interval):
                    return  # their leases run out and they are sent again
        with self._lock:
            for outcome in batch:
                self._in_flight.pop(outcome.delivery_id, None)
                self._futures.pop(outcome.delivery_id, None)
        for outcome in batch:
            WEBHOOK_DELIVERIES.labels(outcome=_outcome_label(outcome)).inc()
        self._wake.set()


def _outcome_label(outcome: Outcome) -> str:
    if outcome.succeeded:
        return "delivered"
    if outcome.gone:
        return "gone"
    return "retrying" if outcome.next_attempt_at is not None else "exhausted"
