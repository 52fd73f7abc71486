"""The writer's deals in memory, and how they catch up with what other processes wrote.

Only the writer thread touches the cache. A deal is taken out while a job works on it and put back after its events
were committed, so every cached deal is a committed state — possibly an old one, when another process (another API
replica) wrote to it since. Saving on an old state trips the store's (deal id, version) key, which keeps writes
correct; `catch_up` keeps them cheap when that happens often: one query brings every deal of a batch up to date.
"""

from __future__ import annotations

import logging
import weakref
from collections import OrderedDict, defaultdict
from collections.abc import Iterable
from typing import Any
from uuid import UUID

from eventsourcing.persistence import StoredEvent
from eventsourcing.postgres import PostgresAggregateRecorder
from psycopg.sql import SQL, Identifier

from domain import Deal
from service.write.store import DealStore

log = logging.getLogger(__name__)


class DealCache:
    """Deals at a committed version, least recently used first."""

    def __init__(self, app: DealStore, maxsize: int) -> None:
        self._app = weakref.ref(app)  # the writer's: see Writer.__init__
        self.maxsize = maxsize
        self.deals: OrderedDict[UUID, Deal] = OrderedDict()

    @property
    def app(self) -> DealStore:
        app = self._app()
        if app is None:
            raise RuntimeError("the application was closed")
        return app

    def take(self, deal_id: UUID, fresh: bool) -> tuple[Deal, bool]:
        """The deal, removed from the cache, and whether it was just read from the store."""
        deal = self.deals.pop(deal_id, None)
        if deal is None or fresh:
            return self.app.get_deal(deal_id), True
        return deal, False

    def put(self, deal: Deal) -> None:
        self.deals[deal.id] = deal
        if len(self.deals) > self.maxsize:
            self.deals.popitem(last=False)

    def catch_up(self, deal_ids: Iterable[UUID]) -> None:
        """Apply to the cached deals among `deal_ids` the events stored after their cached versions."""
        versions = {deal_id: self.deals[deal_id].version for deal_id in set(deal_ids) if deal_id in self.deals}
        if not versions:
            return
        try:
            newer = newer_events(self.app, versions)
        except Exception:
            log.warning("catching up %d cached deals failed; they are read again", len(versions), exc_info=True)
            for deal_id in versions:
                self.deals.pop(deal_id, None)
            return
        by_deal: dict[UUID, list[StoredEvent]] = defaultdict(list)
        for stored in newer:
            by_deal[UUID(str(stored.originator_id))].append(stored)
        for deal_id, events in by_deal.items():
            deal = self.deals[deal_id]
            try:
                for stored in sorted(events, key=lambda e: e.originator_version):
                    self.app.mapper.to_domain_event(stored).mutate(deal)  # type: ignore[attr-defined]  # the mapper's events are DealEvents; the library types them as a protocol
            except Exception:  # e.g. a version gap: drop it, the job reads it from the store
                log.warning("catching up deal %s failed; it is read again", deal_id, exc_info=True)
                self.deals.pop(deal_id, None)


def newer_events(app: DealStore, versions: dict[UUID, int]) -> list[StoredEvent]:
    """The stored events of these deals after the given versions: one query on PostgreSQL."""
    recorder: Any = app.recorder
    if not isinstance(recorder, PostgresAggregateRecorder):  # SQLite: in-process, a query per deal costs little
        return [e for deal_id, version in versions.items() for e in recorder.select_events(deal_id, gt=version)]
    statement = SQL(
        "SELECT e.originator_id, e.originator_version, e.topic, e.state FROM {t} e "
        "JOIN unnest(%s::uuid[], %s::bigint[]) AS k(id, version) "
        "ON e.originator_id = k.id AND e.originator_version > k.version"
    ).format(t=Identifier(recorder.datastore.schema, recorder.events_table_name))
    with recorder.datastore.transaction(commit=False) as curs:
        curs.execute(statement, (list(versions), list(versions.values())))
        rows = curs.fetchall()
    return [StoredEvent(r["originator_id"], r["originator_version"], r["topic"], bytes(r["state"])) for r in rows]
