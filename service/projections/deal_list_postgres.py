"""The deal list view on PostgreSQL: tables prefixed with the projection's name, next to the event store."""

from __future__ import annotations

from collections.abc import Callable, Collection, Iterator, Sequence
from contextlib import contextmanager
from datetime import datetime
from typing import Any
from uuid import UUID, uuid4

from eventsourcing.persistence import Tracking
from eventsourcing.postgres import PostgresDatastore, PostgresTrackingRecorder

from service.projections.deal_list_sqlite import INDEXES
from service.projections.deal_list_view import (
    APPLICATION_NAME,
    DealListView,
    DealQuery,
    DealRow,
    Dialect,
    Tables,
)
from service.storage.pg_tables import SerialTableCreation

Writer = Callable[[Sequence[DealRow], Collection[UUID]], None]


class PostgresDialect(Dialect):
    placeholder = "%s"

    def timestamp(self, value: datetime) -> datetime:
        return value

    def read_timestamp(self, value: Any) -> datetime:
        return value

    def deal_id(self, value: UUID) -> UUID:
        return value

    def read_deal_id(self, value: Any) -> UUID:
        return value

    def in_list(self, column: str, values: Sequence[Any]) -> tuple[str, list[Any]]:
        return f"{column} = ANY(%s)", [list(values)]


def table_statements(t: Tables) -> list[str]:
    return [
        f"CREATE TABLE IF NOT EXISTS {t.deals} (deal_id uuid PRIMARY KEY, title text NOT NULL, "
        "title_folded text NOT NULL, status text NOT NULL, version integer NOT NULL, awaiting text NOT NULL, "
        "awaiting_since timestamptz NOT NULL, awaiting_reason text NOT NULL, parties text NOT NULL, "
        "open_conditions integer NOT NULL, opened_at text, created_at timestamptz NOT NULL, "
        "updated_at timestamptz NOT NULL, opened_position bigint NOT NULL, position bigint NOT NULL)",
        f"CREATE TABLE IF NOT EXISTS {t.parties} (deal_id uuid NOT NULL, party_id text NOT NULL, role text NOT NULL, "
        "PRIMARY KEY (deal_id, party_id, role))",
        f"CREATE TABLE IF NOT EXISTS {t.awaiting} (deal_id uuid NOT NULL, party_id text NOT NULL, "
        "PRIMARY KEY (deal_id, party_id))",
    ]


def index_statements(t: Tables, suffix: str) -> list[str]:
    """Index names carry a suffix: a rebuilt table keeps its indexes' names when it is renamed into place."""
    statements = []
    for number, (table, columns) in enumerate(INDEXES):
        qualified = getattr(t, table)
        name = qualified.split(".")[-1].strip('"')
        statements.append(f'CREATE INDEX IF NOT EXISTS "{name}_{number}_{suffix}" ON {qualified} ({columns})')
    return statements


class PostgresDealListView(SerialTableCreation, DealListView, PostgresTrackingRecorder):
    dialect = PostgresDialect()

    def __init__(self, datastore: PostgresDatastore, *, tracking_table_name: str, **kwargs: Any) -> None:
        super().__init__(datastore, tracking_table_name=tracking_table_name, **kwargs)
        if not datastore.single_row_tracking:
            raise ValueError("the deal list view needs single-row tracking (SINGLE_ROW_TRACKING=t)")
        prefix = tracking_table_name.removesuffix("_tracking")
        schema = datastore.schema

        def tables(suffix: str) -> Tables:
            return Tables(*(f'"{schema}"."{prefix}_{name}{suffix}"' for name in ("deals", "parties", "awaiting")))

        self.live = tables("")
        self.shadow = tables("_rebuild")
        self.tracking = f'"{schema}"."{tracking_table_name}"'
        self.skipped_table = f'"{schema}"."{prefix}_skipped"'
        self.lock_name = f"{schema}.{prefix}"

    def create_table(self) -> None:
        super().create_table()
        with self.datastore.transaction(commit=True) as c:
            # Processes starting together would race to create the tables and their indexes.
            c.execute("SELECT pg_advisory_xact_lock(hashtextextended(%s, 0))", (f"{self.lock_name}:ddl",))
            c.execute("SELECT to_regclass(%s) AS found", (self.live.deals,))
            row = c.fetchone()
            if row is None or row["found"] is None:
                for statement in table_statements(self.live) + index_statements(self.live, "0"):
                    c.execute(statement)
            c.execute(self.dialect.skipped_table_statement(self.skipped_table))

    def write(self, tracking: Tracking, rows: Sequence[DealRow], parties_of: Collection[UUID]) -> bool:
        with self.datastore.transaction(commit=True) as c:
            # Derived rows commit with their position: a crash may lose the last transactions, never split one.
            c.execute("SET LOCAL synchronous_commit = off")
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
        with self.datastore.transaction(commit=True) as c:
            for table in self.shadow.all():
                c.execute(f"DROP TABLE IF EXISTS {table}")
            for statement in table_statements(self.shadow):
                c.execute(statement)

    @contextmanager
    def shadow_writer(self) -> Iterator[Writer]:
        with self.datastore.transaction(commit=True) as c:
            c.execute("SET LOCAL synchronous_commit = off")
            yield lambda rows, parties_of: self.dialect.write_rows(c, self.shadow, rows, parties_of)

    def index_shadow(self) -> None:
        with self.datastore.transaction(commit=True) as c:
            for statement in index_statements(self.shadow, uuid4().hex[:8]):
                c.execute(statement)

    def swap_in_shadow(self, finish: Callable[[Writer], int | None]) -> int | None:
        # The position's row must exist before it can be locked: a live write inserting it meanwhile would deadlock.
        with self.datastore.transaction(commit=True) as c:
            c.execute(f"INSERT INTO {self.tracking} VALUES (%s, 0) ON CONFLICT (application_name) DO NOTHING",
                      (APPLICATION_NAME,))
        with self.datastore.transaction(commit=True) as c:
            # Live writes take this row first, so they wait here and then find the position already past them.
            c.execute(f"SELECT notification_id FROM {self.tracking} WHERE application_name = %s FOR UPDATE",
                      (APPLICATION_NAME,))
            c.execute(f"LOCK TABLE {', '.join(self.live.all())} IN ACCESS EXCLUSIVE MODE")
            position = finish(lambda rows, parties_of: self.dialect.write_rows(c, self.shadow, rows, parties_of))
            for live, shadow in zip(self.live.all(), self.shadow.all(), strict=True):
                c.execute(f"DROP TABLE {live}")
                c.execute(f"ALTER TABLE {shadow} RENAME TO {live.split('.')[-1]}")
            if position is not None:
                c.execute(f"UPDATE {self.tracking} SET notification_id = %s WHERE application_name = %s",
                          (position, APPLICATION_NAME))
        return position
