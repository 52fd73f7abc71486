"""Idempotency keys are stored by the application recorder in a table of their own, in the transaction of the events
they produced, so the key and its events commit (or fail) together. The keys stay out of the events table: the
global feed, projections and webhooks see deal events only.

A key is a small aggregate (service.idempotency.record). Whoever saves or reads one says so: the writer hands a
write's key events as `idempotency_keys` beside its deal events, the idempotency middleware keeps and reads keys
through service/idempotency/keys.py; nothing is told apart by its topic or id. The mixin goes on top of whichever
application recorder of each backend (storage/environment.py).
"""

from __future__ import annotations

import time
from abc import abstractmethod
from collections.abc import Sequence
from datetime import datetime
from typing import TYPE_CHECKING, Any
from uuid import UUID

from eventsourcing.persistence import StoredEvent

if TYPE_CHECKING:  # the recorders these are mixed into (storage/environment.py), for the type checker
    from eventsourcing.persistence import ApplicationRecorder as _Recorder
    from eventsourcing.postgres import PostgresApplicationRecorder as _PostgresRecorder
    from eventsourcing.sqlite import SQLiteApplicationRecorder as _SQLiteRecorder
else:
    _Recorder = _PostgresRecorder = _SQLiteRecorder = object


class KeyStore(_Recorder):
    """What both backends share: keys go in with `insert_events(..., idempotency_keys=...)` (with a write's events,
    in its transaction) or `insert_keys` (alone), and come out of their table with `select_key_events`."""

    @property
    @abstractmethod
    def keys_table(self) -> str: ...

    def insert_keys(self, keys: Sequence[StoredEvent]) -> None:
        """Store key events alone, in one transaction; IntegrityError when a version of a key is stored already."""
        self.insert_events([], idempotency_keys=keys)

    def select_key_events(
        self, key_id: UUID, *, gt: int | None = None, lte: int | None = None, desc: bool = False,
        limit: int | None = None,
    ) -> list[StoredEvent]:
        where, params = "key_id = %s", list[Any]([key_id])
        if gt is not None:
            where, params = where + " AND version > %s", [*params, gt]
        if lte is not None:
            where, params = where + " AND version <= %s", [*params, lte]
        statement = f"WHERE {where} ORDER BY version {'DESC' if desc else 'ASC'}"
        if limit is not None:
            statement, params = statement + " LIMIT %s", [*params, limit]
        rows = self._select_keys(statement, params)
        return [StoredEvent(key_id, version, topic, bytes(state)) for version, topic, state in rows]

    @abstractmethod
    def _select_keys(self, where: str, params: list[Any]) -> list[tuple[int, str, bytes]]:
        """(version, topic, state) of the key rows matching the clause (written with %s placeholders)."""


class SQLiteKeyStore(KeyStore, _SQLiteRecorder):
    @property
    def keys_table(self) -> str:  # read while the library's __init__ builds the create statements
        return self.events_table_name.replace("events", "idempotency_keys")

    def construct_create_table_statements(self) -> list[str]:
        return [
            *super().construct_create_table_statements(),
            f"CREATE TABLE IF NOT EXISTS {self.keys_table} (key_id TEXT, version INTEGER, topic TEXT, state BLOB, "
            "stored_at REAL NOT NULL, PRIMARY KEY (key_id, version)) WITHOUT ROWID",
        ]

    def _insert_events(self, c: Any, stored_events: Sequence[StoredEvent], **kwargs: Any) -> Any:
        keys: Sequence[StoredEvent] = kwargs.get("idempotency_keys") or ()
        if keys:
            now = time.time()
            c.executemany(f"INSERT INTO {self.keys_table} VALUES (?,?,?,?,?)",
                          [(UUID(str(k.originator_id)).hex, k.originator_version, k.topic, k.state, now) for k in keys])
        return super()._insert_events(c, stored_events, **kwargs)

    def _select_keys(self, where: str, params: list[Any]) -> list[tuple[int, str, bytes]]:
        params = [p.hex if isinstance(p, UUID) else p for p in params]
        with self.datastore.transaction(commit=False) as c:
            c.execute(f"SELECT version, topic, state FROM {self.keys_table} {where.replace('%s', '?')}", params)
            return [(row[0], row[1], row[2]) for row in c.fetchall()]

    def purge_keys(self, stored_before: datetime) -> int:
        """Forget keys whose last claim is older than the cut (their retries would be new requests anyway)."""
        with self.datastore.transaction(commit=True) as c:
            c.execute(f"DELETE FROM {self.keys_table} WHERE key_id IN (SELECT key_id FROM {self.keys_table} "
                      "GROUP BY key_id HAVING max(stored_at) < ?)", (stored_before.timestamp(),))
            return c.sqlite_cursor.rowcount


class PostgresKeyStore(KeyStore, _PostgresRecorder):
    @property
    def keys_table(self) -> str:
        return self.events_table_name.replace("events", "idempotency_keys")

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        from psycopg.sql import SQL, Identifier

        super().__init__(*args, **kwargs)
        self._keys = Identifier(self.datastore.schema, self.keys_table)
        self.sql_create_statements.append(SQL(
            "CREATE TABLE IF NOT EXISTS {} (key_id uuid NOT NULL, version bigint NOT NULL, topic text NOT NULL, "
            "state bytea NOT NULL, stored_at timestamptz NOT NULL DEFAULT now(), PRIMARY KEY (key_id, version))"
        ).format(self._keys))
        self._insert_keys = SQL("INSERT INTO {} (key_id, version, topic, state) VALUES (%s, %s, %s, %s)").format(
            self._keys)

    def _insert_events(self, curs: Any, stored_events: Sequence[StoredEvent], **kwargs: Any) -> None:
        super()._insert_events(curs, stored_events, **kwargs)
        keys: Sequence[StoredEvent] = kwargs.get("idempotency_keys") or ()
        if keys:
            curs.executemany(self._insert_keys, [(k.originator_id, k.originator_version, k.topic, k.state)
                                                 for k in keys])

    def _select_keys(self, where: str, params: list[Any]) -> list[tuple[int, str, bytes]]:
        from psycopg.sql import SQL

        statement = SQL("SELECT version, topic, state FROM {} ").format(self._keys) + SQL(where)
        with self.datastore.get_connection() as conn, conn.cursor() as curs:
            curs.execute(statement, params)
            return [(row["version"], row["topic"], row["state"]) for row in curs.fetchall()]

    def purge_keys(self, stored_before: datetime) -> int:
        from psycopg.sql import SQL

        with self.datastore.transaction(commit=True) as curs:
            curs.execute(SQL("DELETE FROM {t} WHERE key_id IN (SELECT key_id FROM {t} GROUP BY key_id "
                             "HAVING max(stored_at) < %s)").format(t=self._keys), (stored_before,))
            return curs.rowcount
