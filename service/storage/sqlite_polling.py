"""SQLite has no LISTEN/NOTIFY: give its application recorder a subscription that polls instead."""

from __future__ import annotations

import threading
from collections.abc import Sequence
from typing import Any

from eventsourcing.persistence import ListenNotifySubscription
from eventsourcing.sqlite import SQLiteApplicationRecorder


class SQLitePollingSubscription(ListenNotifySubscription[SQLiteApplicationRecorder]):
    interval = 0.05

    def __init__(self, recorder: SQLiteApplicationRecorder, gt: int | None = None, topics: Sequence[str] = ()) -> None:
        super().__init__(recorder=recorder, gt=gt, topics=topics)
        self._ticker = threading.Thread(target=self._tick, daemon=True, name="sqlite-poll")
        self._ticker.start()

    def _tick(self) -> None:
        pause = threading.Event()
        while not self._has_been_stopped:
            self._has_been_notified.set()
            pause.wait(self.interval)

    def __exit__(self, *args: Any, **kwargs: Any) -> None:
        try:
            super().__exit__(*args, **kwargs)
        finally:
            self._ticker.join()


class PollingSQLiteApplicationRecorder(SQLiteApplicationRecorder):
    def subscribe(self, gt: int | None = None, topics: Sequence[str] = ()) -> SQLitePollingSubscription:
        return SQLitePollingSubscription(self, gt=gt, topics=topics)
