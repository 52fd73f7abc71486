"""The deal list view on SQLite, in the projection's own database file."""

from __future__ import annotations

import sqlite3
from collections.abc import Callable, Collection, Iterator, Sequence
from contextlib import contextmanager
from datetime import UTC, datetime
from typing import Any
from uuid import UUID, uuid4

from eventsourcing.persistence import Tracking
from eventsourcing.sqlite import SQLiteDatastore, SQLiteTrackingRecorder

from service.projections.deal_list_view import (
    APPLICATION_NAME,
    DealListView,
    DealQuery,
    DealRow,
    Dialect,
    Tables,
)

Writer = Callable[[Sequence[DealRow], Collection[UUID]], None]


class SQLiteDialect(Dialect):
    placeholder = "?"

    def timestamp(self, value: datetime) -> str:
        # One fixed UTC format, so that comparing the text compares the times.
        return value.astimezone(UTC).isoformat(timespec="microseconds")

    def read_timestamp(self, value: Any) -> datetime:
        return datetime.fromisoformat(value)

    def deal_id(self, value: UUID) -> str:
        return str(value)

    def read_deal_id(self, value: Any) -> UUID:
        return UUID(value)

    def in_list(self, column: str, values: Sequence[Any]) -> tuple[str, list[Any]]:
        return f"{column} IN ({', '.join('?' for _ in values)})", list(values)


def table_statements(t: Tables) -> list[str]:
    return [
        f"CREATE TABLE IF NOT EXISTS {t.deals} (deal_id TEXT PRIMARY KEY, title TEXT NOT NULL, "
        "title_folded TEXT NOT NULL, status TEXT NOT NULL, version INTEGER NOT NULL, awaiting TEXT NOT NULL, "
        "awaiting_since TEXT NOT NULL, awaiting_reason TEXT NOT NULL, parties TEXT NOT NULL, "
        "open_conditions INTEGER NOT NULL, opened_at TEXT, created_at TEXT NOT NULL, updated_at TEXT NOT NULL, "
        "opened_position INTEGER NOT NULL, position INTEGER NOT NULL)",
        f"CREATE TABLE IF NOT EXISTS {t.parties} (deal_id TEXT NOT NULL, party_id TEXT NOT NULL, role TEXT NOT NULL, "
        "PRIMARY KEY (deal_id, party_id, role)) WITHOUT ROWID",
        f"CREATE TABLE IF NOT EXISTS {t.awaiting} (deal_id TEXT NOT NULL, party_id TEXT NOT NULL, "
        "PRIMARY KEY (deal_id, party_id)) WITHOUT ROWID",
    ]


INDEXES = (
    ("deals", "opened_position"),
    ("deals", "position"),
    ("deals", "status, opened_position"),
    ("deals", "updated_at"),
    ("parties", "party_id, role, deal_id"),
    ("parties", "role, deal_id"),
    ("awaiting", "party_id, deal_id"),
)


def index_statements(t: Tables, suffix: str) -> list[str]:
    """Index names carry a suffix: a rebuilt table keeps its indexes' names when it is renamed into place."""
    statements = []
    for number, (table, columns) in enumerate(INDEXES):
        name = getattr(t, table).split(".")[-1].strip('"')
        statements.append(f"CREATE INDEX IF NOT EXISTS {name}_{number}_{suffix} ON {getattr(t, table)} ({columns})")
    return statements


class SQLiteDealListView(DealListView, SQLiteTrackingRecorder):
    dialect = SQLiteDialect()
    live = Tables("deals", "deal_parties", "deal_awaiting")
    shadow = Tables("deals_rebuild", "deal_parties_rebuild", "deal_awaiting_rebuild")
    skipped_table = "skipped_deals"

    def __init__(self, datastore: SQLiteDatastore, **kwargs: Any) -> None:
        super().__init__(datastore, **kwargs)
        if not datastore.single_row_tracking:
            raise ValueError("the deal list view needs single-row tracking (SINGLE_ROW_TRACKING=t)")

    def create_table(self) -> None:
        super().create_table()
        with self._immediate() as c:
            c.execute("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = ?", (self.live.deals,))
            if c.fetchone() is None:
                for statement in table_statements(self.live) + index_statements(self.live, "0"):
                    c.execute(statement)
            c.execute(self.dialect.skipped_table_statement(self.skipped_table))

    @contextmanager
    def _immediate(self) -> Iterator[sqlite3.Cursor]:
        """A write transaction that takes the write lock at BEGIN, so it never fails to upgrade a stale read."""
        with self.datastore.get_connection(commit=True) as conn:
            raw: sqlite3.Connection = conn._sqlite_conn  # private: the library begins DEFERRED
            cursor = raw.cursor()
            # The view is derived and its position commits with its rows: a power cut may lose the last
            # transactions, never split one, and the projection then repeats them. So no fsync per commit.
            cursor.execute("PRAGMA synchronous = NORMAL")
            cursor.execute("BEGIN IMMEDIATE")
            try:
                yield cursor
            except BaseException:
                raw.rollback()
                raise
            else:
                raw.commit()
            finally:
                cursor.close()

    def write(self, tracking: Tracking, rows: Sequence[DealRow], parties_of: Collection[UUID]) -> bool:
        with self._immediate() as c:
            c.execute(self.insert_tracking_statement, {"application_name": tracking.application_name,
                                                       "notification_id": tracking.notification_id})
            if c.fetchone() is None:
                return False
            self.dialect.write_rows(c, self.live, rows, parties_of)
        return True

    def query(self, query: DealQuery) -> list[DealRow]:
        sql, params = self.dialect.select_deals(self.live, query)
        with self.datastore.transaction(commit=False) as c:
            c.execute(sql, params)
            return [self.dialect.read_row(r) for r in c.fetchall()]

    def rows(self, tables: Tables | None = None) -> list[DealRow]:
        with self.datastore.transaction(commit=False) as c:
            c.execute(f"SELECT * FROM {(tables or self.live).deals} ORDER BY deal_id")
            return [self.dialect.read_row(r) for r in c.fetchall()]

    def prepare_shadow(self) -> None:
        with self._immediate() as c:
            for table in self.shadow.all():
                c.execute(f"DROP TABLE IF EXISTS {table}")
            for statement in table_statements(self.shadow):
                c.execute(statement)

    @contextmanager
    def shadow_writer(self) -> Iterator[Writer]:
        with self._immediate() as c:
            yield lambda rows, parties_of: self.dialect.write_rows(c, self.shadow, rows, parties_of)

    def index_shadow(self) -> None:
        with self._immediate() as c:
            for statement in index_statements(self.shadow, uuid4().hex[:8]):
                c.execute(statement)

    def swap_in_shadow(self, finish: Callable[[Writer], int | None]) -> int | None:
        with self._immediate() as c:
            position = finish(lambda rows, parties_of: self.dialect.write_rows(c, self.shadow, rows, parties_of))
            for live, shadow in zip(self.live.all(), self.shadow.all(), strict=True):
                c.execute(f"DROP TABLE IF EXISTS {live}")
                c.execute(f"ALTER TABLE {shadow} RENAME TO {live}")
            if position is not None:
                c.execute("INSERT INTO tracking VALUES (?, ?) ON CONFLICT (application_name) "
                          "DO UPDATE SET notification_id = excluded.notification_id", (APPLICATION_NAME, position))
        return position
