"""The SQL plumbing the webhook store shares between SQLite and PostgreSQL: one transaction helper that wakes this
process's senders after a commit, named parameters (`:name`), and the hooks each database fills in."""

from __future__ import annotations

import threading
from abc import ABC, abstractmethod
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from datetime import datetime
from typing import Any
from uuid import UUID

from eventsourcing.persistence import TrackingRecorder

from service.webhooks import wakeups
from service.webhooks.sealing import Sealer

TABLES = ("endpoints", "messages", "deliveries", "attempts", "notices")
TIME_COLUMNS = frozenset({
    "previous_secret_expires_at", "disabled_at", "failing_since", "created_at", "updated_at", "deleted_at",
    "recorded_at", "next_attempt_at", "lease_until", "finished_at", "attempted_at",
})
Group = tuple[UUID, UUID]  # an endpoint and a deal: the deliveries that go out one at a time, in order


class SqlStore(TrackingRecorder, ABC):
    sealer = Sealer(None)  # open_store gives a store the events' cipher (sealing.py)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._pending_wake = threading.local()

    def subscribe(self) -> threading.Event:
        """An event set whenever this process queues or finishes deliveries on this database."""
        return wakeups.subscribe(self.wake_key())

    def unsubscribe(self, event: threading.Event) -> None:
        wakeups.unsubscribe(self.wake_key(), event)

    @contextmanager
    def _transaction(self, commit: bool) -> Iterator[Any]:
        self._pending_wake.value = False
        with self.datastore.transaction(commit=commit) as cur:  # type: ignore[attr-defined]  # a mixin: the library's recorder it is mixed into has it
            if commit:
                self._begin_write(cur)
            yield cur
        if self._pending_wake.value:
            wakeups.wake(self.wake_key())

    def _notify(self, cur: Any) -> None:
        self._pending_wake.value = True
        self._notify_processes(cur)

    # ---- what each database does its own way --------------------------------------------------------

    @abstractmethod
    def table(self, name: str) -> str: ...

    @abstractmethod
    def wake_key(self) -> str:
        """Names the database, so that senders in this process on the same one are woken by its writes."""

    @abstractmethod
    def _claim_rows(self, cur: Any, now: datetime, lease_until: datetime, limit: int,
                    skip: Sequence[UUID]) -> list[dict[str, Any]]:
        """Lease due deliveries; each row with CLAIMED_COLUMNS."""

    @abstractmethod
    def _lock_groups(self, cur: Any, groups: Sequence[Group]) -> None:
        """Serialise, until the transaction ends, the writers that decide which delivery of a group goes next (each
        also holds its endpoint's lock shared, so that `_lock_endpoint` excludes them all)."""

    @abstractmethod
    def _lock_endpoint(self, cur: Any, endpoint_id: UUID) -> None:
        """Until the transaction ends, exclude every writer of the endpoint's groups and every other recover of it."""

    def _begin_write(self, cur: Any) -> None:
        """Prepare a writing transaction."""

    @abstractmethod
    def _notify_processes(self, cur: Any) -> None:
        """Wake the senders of other processes once the transaction commits."""

    @abstractmethod
    def _param(self, value: Any) -> Any: ...

    @abstractmethod
    def _value(self, column: str, value: Any) -> Any: ...

    @abstractmethod
    def _rowcount(self, cur: Any) -> int: ...

    @abstractmethod
    def _placeholders(self, sql: str) -> str: ...

    # ---- helpers ----------------------------------------------------------------------------------------

    def _sql(self, sql: str) -> str:
        return self._placeholders(sql.format(**{t: self.table(t) for t in TABLES}))

    def _exec(self, cur: Any, sql: str, **params: Any) -> None:
        cur.execute(self._sql(sql), {k: self._param(v) for k, v in params.items()})

    def _query(self, cur: Any, sql: str, **params: Any) -> list[dict[str, Any]]:
        self._exec(cur, sql, **params)
        return [{k: self._value(k, row[k]) for k in row.keys()} for row in cur.fetchall()]  # noqa: SIM118

    def _many(self, cur: Any, sql: str, rows: Sequence[dict[str, Any]]) -> None:
        if rows:
            cur.executemany(self._sql(sql), [{k: self._param(v) for k, v in r.items()} for r in rows])

    @staticmethod
    def _in(name: str, values: Sequence[Any]) -> tuple[str, dict[str, Any]]:
        params = {f"{name}{i}": v for i, v in enumerate(values)}
        return "(" + ", ".join(f":{k}" for k in params) + ")", params


def as_uuid(value: Any) -> UUID:
    return value if isinstance(value, UUID) else UUID(str(value))
