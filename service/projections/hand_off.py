"""Group commit for a projection that the library's runner feeds one event at a time.

The runner calls `process_event` for each event and expects it written with its tracking position. Writing each in
a transaction of its own costs a commit per event; here the projection hands each event's result over instead, and
a writer thread writes whatever accumulated while its previous transaction was committing in the next one, with
the last tracking position. A crash before a commit means those events are processed again from the tracked
position; after it, never again. A write that fails is raised to the runner at its next hand-over (and seen by
`failed` in between), which stops it: its restart starts again from the tracked position.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Generic, TypeVar

from eventsourcing.persistence import Tracking

T = TypeVar("T")


class HandOff(Generic[T]):
    """Writes what a projection hands over as soon as it can (see the module's docstring)."""

    def __init__(self, write: Callable[[Tracking, list[T]], object], name: str, limit: int = 500) -> None:
        self.write = write
        self.name = name
        self.limit = limit
        self.error: BaseException | None = None
        self._changed = threading.Condition()
        self._items: list[T] = []
        self._tracking: Tracking | None = None
        self._closing = False
        self._thread = threading.Thread(target=self._write_loop, name=f"{name}-write", daemon=True)
        self._thread.start()

    def add(self, tracking: Tracking, item: T | None) -> None:
        """Hand over one event's result (None: the event only moves the position); waits while `limit` are queued."""
        with self._changed:
            while len(self._items) >= self.limit and self.error is None:
                self._changed.wait()
            if self.error is not None:
                raise RuntimeError(f"the {self.name} projection could not write") from self.error
            if item is not None:
                self._items.append(item)
            self._tracking = tracking
            self._changed.notify_all()

    def close(self) -> None:
        """Write what is left, then stop."""
        with self._changed:
            self._closing = True
            self._changed.notify_all()
        self._thread.join()

    def _write_loop(self) -> None:
        while True:
            with self._changed:
                while self._tracking is None and not self._closing:
                    self._changed.wait()
                if self._tracking is None:
                    return
                tracking, items = self._tracking, self._items
                self._tracking, self._items = None, []
                self._changed.notify_all()
            try:
                self.write(tracking, items)
            except BaseException as error:
                with self._changed:
                    self.error = error
                    self._changed.notify_all()
                return
