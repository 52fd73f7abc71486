"""Which cached deals another process wrote to, heard through LISTEN/NOTIFY (PostgreSQL).

Every insert transaction also sends, on a channel of its own per schema, the head version it writes for each
aggregate ("<writer token> <id hex>:<version>,…"; pipelined with the library's LOCK/NOTIFY/INSERT, so no extra
round trip; delivered at commit). Each writer listens on a connection of its own and remembers the heads that
other writers announced. Before deciding a batch it catches up, with one query, only those cached deals whose
announced head is past the cached version — instead of tripping the (deal, version) key and re-reading the deal.

A notice is a hint, never a guarantee: one may arrive after the next write was decided (it is in flight), and none
arrives while the listening connection is down. The store's key still refuses every stale write, so correctness
never depends on a notice; a listener that lost its connection reports `missed`, and the writer then falls back to
catching up every deal of its batches for a while.
"""

from __future__ import annotations

import contextlib
import logging
import threading
import time
import uuid
from collections.abc import Iterable, Sequence
from typing import TYPE_CHECKING, Any
from uuid import UUID

import psycopg
from eventsourcing.persistence import StoredEvent
from psycopg.sql import SQL, Identifier

if TYPE_CHECKING:  # the recorder this is mixed into (storage/postgres_recorder.py), for the type checker
    from eventsourcing.postgres import PostgresApplicationRecorder as _PostgresRecorder
else:
    _PostgresRecorder = object

log = logging.getLogger(__name__)

NOTICE_ITEMS = 150  # "<32 hex>:<version>," is ~40 bytes: 150 keep a notice well under PostgreSQL's 8,000 bytes
MAX_HEADS = 100_000  # heads heard for deals this writer never took are forgotten past this many
NOTIFY = SQL("SELECT pg_notify(%s, %s)")


def heads_channel(schema: str) -> str:
    return f"deals_heads_{schema}"[:63]


class HeadNotifying(_PostgresRecorder):
    """Mixin for PostgresApplicationRecorder: each insert also announces the head versions it writes."""

    datastore: Any

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.head_token = uuid.uuid4().hex[:12]  # this recorder's own notices are not news to its writer
        self.heads_channel = heads_channel(self.datastore.schema)

    def _insert_events(self, curs: Any, stored_events: Sequence[StoredEvent], **kwargs: Any) -> None:
        super()._insert_events(curs, stored_events, **kwargs)
        heads: dict[Any, int] = {}
        for event in stored_events:
            heads[event.originator_id] = max(event.originator_version, heads.get(event.originator_id, 0))
        items = [f"{_hex(agg_id)}:{version}" for agg_id, version in heads.items()]
        for start in range(0, len(items), NOTICE_ITEMS):
            payload = f"{self.head_token} " + ",".join(items[start:start + NOTICE_ITEMS])
            curs.execute(NOTIFY, (self.heads_channel, payload), prepare=True)


def _hex(agg_id: Any) -> str:
    return agg_id.hex if isinstance(agg_id, UUID) else UUID(str(agg_id)).hex


class HeadNotices:
    """The heads other writers announced, heard by a listener thread; only the writer thread asks."""

    def __init__(self, recorder: Any, retry_after: float = 1.0) -> None:
        self.token: str = recorder.head_token
        self.channel: str = recorder.heads_channel
        params = recorder.datastore.pool.kwargs
        self.connect = {k: params[k] for k in ("dbname", "host", "port", "user", "password") if params.get(k)}
        self.retry_after = retry_after
        self.heads: dict[UUID, int] = {}
        self.lock = threading.Lock()
        self.listening = threading.Event()
        self.missed = False  # notices may have been lost (the connection dropped, too many heads)
        self.heard = 0
        self.stopped = False
        self.thread = threading.Thread(target=self._listen, name="deals-head-notices", daemon=True)
        self.thread.start()

    @property
    def trusted(self) -> bool:
        return self.listening.is_set()

    def take_missed(self) -> bool:
        with self.lock:
            missed, self.missed = self.missed, False
        return missed

    def stale(self, versions: dict[UUID, int]) -> list[UUID]:
        """Of these cached deals (id → cached version), those another writer announced a later version of."""
        with self.lock:
            heard = [(deal_id, self.heads.pop(deal_id, 0)) for deal_id in versions]
        return [deal_id for deal_id, head in heard if head > versions[deal_id]]

    def stop(self) -> None:
        self.stopped = True
        self.thread.join(timeout=5)

    def _listen(self) -> None:
        failures = 0
        while not self.stopped:
            try:
                with psycopg.connect(**self.connect, autocommit=True, connect_timeout=5) as conn:
                    conn.execute(SQL("LISTEN {0}").format(Identifier(self.channel)))
                    self.listening.set()
                    failures = 0
                    while not self.stopped:
                        for notice in conn.notifies(timeout=0.2):
                            self._hear(notice.payload)
            except Exception:
                failures += 1
                if not self.stopped and failures == 1:  # once per outage: the database may be down for a while
                    log.warning("listening for the deals' head notices failed; retrying", exc_info=True)
            finally:
                if self.listening.is_set():
                    self.listening.clear()
                    with self.lock:
                        self.missed = True
            if not self.stopped:
                time.sleep(min(self.retry_after * 2 ** max(failures - 1, 0), 10.0))

    def _hear(self, payload: str) -> None:
        token, _, items = payload.partition(" ")
        if token == self.token:
            return
        heads = list(_parse(items.split(",")))
        with self.lock:
            self.heard += 1
            if len(self.heads) > MAX_HEADS:
                self.heads.clear()
                self.missed = True
            for agg_id, version in heads:
                if version > self.heads.get(agg_id, 0):
                    self.heads[agg_id] = version


def _parse(items: Iterable[str]) -> Iterable[tuple[UUID, int]]:
    for item in items:
        agg_id, _, version = item.partition(":")
        with contextlib.suppress(ValueError):
            yield UUID(hex=agg_id), int(version)
