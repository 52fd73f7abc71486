"""The writer's deals in memory, and how they catch up with what other processes wrote.

The writer decides each job on a copy of the deal's newest committed state and puts the decided deal back after its
events were committed, so every kept deal is a committed state — possibly an old one, when another process (another
API replica) wrote to it since. Saving on an old state trips the store's (deal id, version) key, which keeps writes
correct; `catch_up` keeps them cheap when that happens often: one query brings every deal of a batch up to date.
"""

from __future__ import annotations

import logging
import weakref
from collections.abc import Iterable
from typing import Any
from uuid import UUID

from eventsourcing.persistence import StoredEvent
from eventsourcing.postgres import PostgresAggregateRecorder
from psycopg.sql import SQL, Identifier

from domain import Deal
from service.write.deal_states import DealStates, loader
from service.write.store import DealStore

log = logging.getLogger(__name__)


class DealCache:
    """The writer's side of the process's deal states (service/write/deal_states.py): it decides on a copy of the
    newest committed state and puts the decided deal back once committed. With `enabled` off (the naive baseline)
    every command is decided on the deal as stored, and nothing is put."""

    def __init__(self, app: DealStore, enabled: bool = True) -> None:
        self._app = weakref.ref(app)  # the writer's: see Writer.__init__
        self.enabled = enabled
        self.states: DealStates = app.deal_states

    @property
    def app(self) -> DealStore:
        app = self._app()
        if app is None:
            raise RuntimeError("the application was closed")
        return app

    def take(self, deal_id: UUID, fresh: bool) -> tuple[Deal, bool]:
        """A deal the job may change, and whether it was just read from the store."""
        kept = None if fresh or not self.enabled else self.states.latest(deal_id)
        if kept is None:
            return self.app.get_deal(deal_id), True
        return kept.copy(), False

    def put(self, deal: Deal) -> None:
        """A deal whose events were just committed."""
        if self.enabled:
            self.states.put(deal)

    def versions(self, deal_ids: Iterable[UUID]) -> dict[UUID, int]:
        return self.states.versions(deal_ids) if self.enabled else {}

    def catch_up(self, deal_ids: Iterable[UUID]) -> None:
        """Bring the kept deals among `deal_ids` up to the events stored after their kept versions."""
        versions = self.versions(set(deal_ids))
        if not versions:
            return
        try:
            newer = newer_events(self.app, versions)
        except Exception:
            log.warning("catching up %d cached deals failed; they are read again", len(versions), exc_info=True)
            for deal_id in versions:
                self.states.forget(deal_id)
            return
        load = loader(self.app)
        for stored in sorted(newer, key=lambda e: (str(e.originator_id), e.originator_version)):
            deal_id = UUID(str(stored.originator_id))
            try:  # the same fold as the followers': onto the state before each event (service/write/deal_states.py)
                self.states.after(self.app.domain_event(stored), load)
            except Exception:
                log.warning("catching up deal %s failed; it is read again", deal_id, exc_info=True)
                self.states.forget(deal_id)


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
