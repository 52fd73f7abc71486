"""Inserting events again after a lost commit acknowledgement must not record them twice (PostgreSQL).

When the connection breaks while a COMMIT is under way (the server crashed or was restarted), the client cannot
know whether it committed. The library then inserts the same stored events again, and if the first attempt did
commit, the second trips the (deal, version) key. Reported as a conflict, the write would be decided again on the
fresh state and recorded a second time (or refused, though it was recorded). The stored rows are then ours byte for
byte — the state holds the event's own recorded-at time, to the microsecond — so the insert is answered with their
positions instead.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from eventsourcing.persistence import IntegrityError, StoredEvent
from psycopg.sql import SQL, Identifier

if TYPE_CHECKING:  # the recorder this is mixed into (storage/postgres_recorder.py), for the type checker
    from eventsourcing.postgres import PostgresApplicationRecorder as _PostgresRecorder
else:
    _PostgresRecorder = object


class IdempotentInsert(_PostgresRecorder):
    """Mixin for PostgresApplicationRecorder (placed before it)."""

    datastore: Any
    events_table_name: str

    def insert_events(self, stored_events: Sequence[StoredEvent], **kwargs: Any) -> Sequence[int] | None:
        try:
            return super().insert_events(stored_events, **kwargs)
        except IntegrityError:
            positions = self._positions_if_stored(stored_events)
            if positions is None:
                raise
            return positions

    def _positions_if_stored(self, stored_events: Sequence[StoredEvent]) -> list[int] | None:
        """The positions of these very events if every one of them is already stored, else None."""
        if not stored_events:
            return None
        statement = SQL(
            "SELECT e.originator_id, e.originator_version, e.topic, e.state, e.notification_id FROM {t} e "
            "JOIN unnest(%s::{id_type}[], %s::bigint[]) AS k(id, version) "
            "ON e.originator_id = k.id AND e.originator_version = k.version"
        ).format(t=Identifier(self.datastore.schema, self.events_table_name),
                 id_type=Identifier(self.datastore.originator_id_type))
        keys = ([e.originator_id for e in stored_events], [e.originator_version for e in stored_events])
        with self.datastore.transaction(commit=False) as curs:
            curs.execute(statement, keys)
            rows = {(str(r["originator_id"]), r["originator_version"]): r for r in curs.fetchall()}
        positions = []
        for event in stored_events:
            row = rows.get((str(event.originator_id), event.originator_version))
            if row is None or row["topic"] != event.topic or bytes(row["state"]) != bytes(event.state):
                return None
            positions.append(row["notification_id"])
        return positions
