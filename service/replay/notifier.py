"""Wakes the live event streams of this process when events may have been committed.

One thread per process, whatever the number of streams: on PostgreSQL it LISTENs on the events table's channel
(the library NOTIFYs it in every insert transaction) and also checks the last position every second, which covers
a lost connection; on SQLite, which has no notifications, it checks the last position every few tens of
milliseconds. Streams wait on an asyncio event that the thread swaps out on each change.
"""

from __future__ import annotations

import asyncio
import logging
import signal
import threading
from collections.abc import Callable
from types import FrameType
from typing import Any

import psycopg
from psycopg import sql

from service.settings import Settings

log = logging.getLogger(__name__)
_LISTEN_CHECK_SECONDS = 1.0


class CommitNotifier:
    def __init__(self, recorder: Any, settings: Settings, loop: asyncio.AbstractEventLoop) -> None:
        self.recorder = recorder
        self.settings = settings
        self.loop = loop
        self.closing = asyncio.Event()
        self._changed = asyncio.Event()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._last: int | None = None

    def token(self) -> asyncio.Event:
        """Take before reading, then `wait(token)`: a commit between the read and the wait is not missed."""
        if self._thread is None:
            self._thread = threading.Thread(target=self._run, name="deals-stream-notifier", daemon=True)
            self._thread.start()
        return self._changed

    async def wait(self, token: asyncio.Event, timeout: float) -> bool:
        """True when something may be new (or the service is closing); False after `timeout` of quiet."""
        closing = asyncio.ensure_future(self.closing.wait())
        changed = asyncio.ensure_future(token.wait())
        try:
            done, _ = await asyncio.wait({closing, changed}, timeout=timeout, return_when=asyncio.FIRST_COMPLETED)
        finally:
            closing.cancel()
            changed.cancel()
        return bool(done)

    def close(self) -> None:
        """Ends the streams (called on the loop): uvicorn waits for open responses before it shuts down."""
        self.closing.set()

    def stop(self) -> None:
        self.close()
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=5)

    def stop_streams_on_signals(self) -> Callable[[], None]:
        """Chain SIGINT/SIGTERM so streams end as soon as the server is asked to stop; returns the undo."""
        if threading.current_thread() is not threading.main_thread():
            return lambda: None
        previous = {sig: signal.getsignal(sig) for sig in (signal.SIGINT, signal.SIGTERM)}

        def handler(signum: int, frame: FrameType | None) -> None:
            self.loop.call_soon_threadsafe(self.close)
            chained = previous[signal.Signals(signum)]
            if callable(chained):
                chained(signum, frame)

        for sig in previous:
            signal.signal(sig, handler)

        def undo() -> None:
            for sig, old in previous.items():
                if signal.getsignal(sig) is handler:
                    signal.signal(sig, old)

        return undo

    # ---- the thread ---------------------------------------------------------------------------------

    def _run(self) -> None:
        while not self._stop.is_set():
            try:
                if self.settings.is_postgres:
                    self._listen()
                else:
                    self._poll(self.settings.stream_poll_seconds)
            except Exception:
                log.exception("event stream notifier failed; retrying in a second")
                self._stop.wait(1.0)

    def _poll(self, interval: float) -> None:
        while not self._stop.wait(interval):
            self._check()

    def _listen(self) -> None:
        channel = sql.Identifier(self.recorder.channel_name)
        with psycopg.connect(self.settings.database_url, autocommit=True, connect_timeout=5) as conn:
            conn.execute(sql.SQL("LISTEN {}").format(channel))
            self._check()
            while not self._stop.is_set():
                notified = False
                for _ in conn.notifies(timeout=_LISTEN_CHECK_SECONDS, stop_after=1):
                    notified = True
                if notified:
                    self._pulse()
                else:
                    self._check()

    def _check(self) -> None:
        last = self.recorder.max_notification_id()
        if last != self._last:
            self._last = last
            self._pulse()

    def _pulse(self) -> None:
        try:
            self.loop.call_soon_threadsafe(self._wake)
        except RuntimeError:  # the loop has closed: the service is going away
            self._stop.set()

    def _wake(self) -> None:
        changed, self._changed = self._changed, asyncio.Event()
        changed.set()
