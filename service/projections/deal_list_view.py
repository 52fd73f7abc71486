"""The deal list view: one row per deal, its parties' roles and who holds the ball, with the position it reflects.

The interface is backend-neutral; deal_list_sqlite and deal_list_postgres implement it. Both keep three tables (deals,
party roles, awaiting parties) and write them with the tracking position in one transaction. A rebuild fills
"shadow" copies of the tables and swaps them in under the tracking row's lock (see deal_list_rebuild).
"""

from __future__ import annotations

import json
from abc import ABC, abstractmethod
from collections.abc import Callable, Collection, Sequence
from contextlib import AbstractContextManager
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Literal
from uuid import UUID

from eventsourcing.persistence import Tracking, TrackingRecorder

from service.projections.deal_state import DealRow, PartyRow

APPLICATION_NAME = "Deals"
ANY_ROLE = "*"  # the row that says a party takes part at all, whatever its roles
Order = Literal["opened", "-opened", "updated"]
ORDER_KEYS: dict[str, tuple[str, str]] = {
    "opened": ("opened_position", "ASC"),
    "-opened": ("opened_position", "DESC"),
    "updated": ("position", "ASC"),
}
DEAL_COLUMNS = (
    "deal_id", "title", "title_folded", "status", "version", "awaiting", "awaiting_since", "awaiting_reason",
    "parties", "open_conditions", "opened_at", "created_at", "updated_at", "opened_position", "position",
)
# Set only by a row's first write: a deal loaded mid-stream does not know where its opening was.
FIRST_WRITE_ONLY = frozenset({"deal_id", "opened_at", "opened_position"})


@dataclass(frozen=True)
class DealQuery:
    statuses: tuple[str, ...] = ()
    party: str | None = None
    role: str | None = None
    awaiting: str | None = None
    updated_since: datetime | None = None
    text: str | None = None
    order: Order = "opened"
    after: int | None = None
    limit: int = 100


@dataclass(frozen=True)
class Skip:
    """A deal left out of the list: one of its events (at `position`) could not be projected."""

    deal_id: UUID
    position: int
    reason: str
    skipped_at: datetime


@dataclass(frozen=True)
class Tables:
    deals: str
    parties: str
    awaiting: str

    def all(self) -> tuple[str, str, str]:
        return (self.deals, self.parties, self.awaiting)


class Dialect(ABC):
    """What differs between SQLite and PostgreSQL in the view's SQL."""

    placeholder = "?"

    @abstractmethod
    def timestamp(self, value: datetime) -> Any: ...

    @abstractmethod
    def read_timestamp(self, value: Any) -> datetime: ...

    @abstractmethod
    def deal_id(self, value: UUID) -> Any: ...

    @abstractmethod
    def read_deal_id(self, value: Any) -> UUID: ...

    @abstractmethod
    def in_list(self, column: str, values: Sequence[Any]) -> tuple[str, list[Any]]: ...

    def row_values(self, row: DealRow) -> tuple[Any, ...]:
        return (
            self.deal_id(row.deal_id), row.title, row.title.casefold(), row.status, row.version,
            json.dumps(row.awaiting), self.timestamp(row.awaiting_since), row.awaiting_reason,
            json.dumps([[p.party_id, p.name, p.kind, list(p.roles)] for p in row.parties]), row.open_conditions,
            row.opened_at.isoformat() if row.opened_at else None, self.timestamp(row.created_at),
            self.timestamp(row.updated_at), row.position if row.opened_position is None else row.opened_position,
            row.position,
        )

    def read_row(self, r: Any) -> DealRow:
        return DealRow(
            deal_id=self.read_deal_id(r["deal_id"]),
            title=r["title"],
            status=r["status"],
            version=r["version"],
            awaiting=tuple(json.loads(r["awaiting"])),
            awaiting_since=self.read_timestamp(r["awaiting_since"]),
            awaiting_reason=r["awaiting_reason"],
            parties=tuple(PartyRow(p, n, k, tuple(roles)) for p, n, k, roles in json.loads(r["parties"])),
            open_conditions=r["open_conditions"],
            opened_at=datetime.fromisoformat(r["opened_at"]) if r["opened_at"] else None,
            created_at=self.read_timestamp(r["created_at"]),
            updated_at=self.read_timestamp(r["updated_at"]),
            opened_position=r["opened_position"],
            position=r["position"],
        )

    # ---- statements ---------------------------------------------------------------------------------

    def skipped_table_statement(self, table: str) -> str:
        return (f"CREATE TABLE IF NOT EXISTS {table} (deal_id TEXT PRIMARY KEY, position BIGINT NOT NULL, "
                "reason TEXT NOT NULL, skipped_at TEXT NOT NULL)")

    def upsert_deals(self, tables: Tables) -> str:
        ph = ", ".join(self.placeholder for _ in DEAL_COLUMNS)
        updates = ", ".join(f"{c} = excluded.{c}" for c in DEAL_COLUMNS if c not in FIRST_WRITE_ONLY)
        return (f"INSERT INTO {tables.deals} ({', '.join(DEAL_COLUMNS)}) VALUES ({ph}) "
                f"ON CONFLICT (deal_id) DO UPDATE SET {updates}")

    def write_rows(self, cursor: Any, tables: Tables, rows: Sequence[DealRow], parties_of: Collection[UUID]) -> None:
        """Upsert the rows; rewrite the party roles of the deals in parties_of and who each deal awaits."""
        if not rows:
            return
        cursor.executemany(self.upsert_deals(tables), [self.row_values(r) for r in rows])
        ph = self.placeholder
        rewrite = [r for r in rows if r.deal_id in parties_of]
        if rewrite:
            where, params = self.in_list("deal_id", [self.deal_id(r.deal_id) for r in rewrite])
            cursor.execute(f"DELETE FROM {tables.parties} WHERE {where}", params)
            cursor.executemany(
                f"INSERT INTO {tables.parties} (deal_id, party_id, role) VALUES ({ph}, {ph}, {ph})",
                [(self.deal_id(r.deal_id), p.party_id, role) for r in rewrite for p in r.parties
                 for role in (ANY_ROLE, *p.roles)],
            )
        where, params = self.in_list("deal_id", [self.deal_id(r.deal_id) for r in rows])
        cursor.execute(f"DELETE FROM {tables.awaiting} WHERE {where}", params)
        cursor.executemany(
            f"INSERT INTO {tables.awaiting} (deal_id, party_id) VALUES ({ph}, {ph})",
            [(self.deal_id(r.deal_id), party) for r in rows for party in dict.fromkeys(r.awaiting)],
        )

    def select_deals(self, tables: Tables, query: DealQuery) -> tuple[str, list[Any]]:
        ph = self.placeholder
        clauses: list[str] = []
        params: list[Any] = []
        if query.statuses:
            where, values = self.in_list("d.status", list(query.statuses))
            clauses.append(where)
            params += values
        if query.party is not None:
            clauses.append(f"EXISTS (SELECT 1 FROM {tables.parties} p WHERE p.deal_id = d.deal_id "
                           f"AND p.party_id = {ph} AND p.role = {ph})")
            params += [query.party, query.role or ANY_ROLE]
        elif query.role is not None:
            clauses.append(f"EXISTS (SELECT 1 FROM {tables.parties} p WHERE p.deal_id = d.deal_id AND p.role = {ph})")
            params.append(query.role)
        if query.awaiting is not None:
            clauses.append(f"EXISTS (SELECT 1 FROM {tables.awaiting} a WHERE a.deal_id = d.deal_id "
                           f"AND a.party_id = {ph})")
            params.append(query.awaiting)
        if query.updated_since is not None:
            clauses.append(f"d.updated_at >= {ph}")
            params.append(self.timestamp(query.updated_since))
        if query.text:
            clauses.append(f"d.title_folded LIKE {ph} ESCAPE '\\'")
            params.append(f"%{_escape_like(query.text.casefold())}%")
        column, direction = ORDER_KEYS[query.order]
        if query.after is not None:
            clauses.append(f"d.{column} {'>' if direction == 'ASC' else '<'} {ph}")
            params.append(query.after)
        where = f"WHERE {' AND '.join(clauses)}" if clauses else ""
        sql = f"SELECT d.* FROM {tables.deals} d {where} ORDER BY d.{column} {direction} LIMIT {ph}"
        return sql, [*params, query.limit]


def _escape_like(text: str) -> str:
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


class DealListView(TrackingRecorder, ABC):
    """The deal list: rows written with their tracking position, queried with filters and a keyset."""

    dialect: Dialect
    live: Tables
    shadow: Tables

    @abstractmethod
    def write(self, tracking: Tracking, rows: Sequence[DealRow], parties_of: Collection[UUID]) -> bool:
        """Write the rows and move the position to tracking's, in one transaction. False (and nothing written) when
        the view is already at or past that position: a rebuild or another runner got there first."""

    @abstractmethod
    def query(self, query: DealQuery) -> list[DealRow]: ...

    # ---- deals left out ---------------------------------------------------------------------------

    skipped_table: str

    def skips(self) -> list[Skip]:
        """The deals left out of the list, and why (see `deals projections rebuild --skip-position`)."""
        with self.datastore.transaction(commit=False) as c:  # type: ignore[attr-defined]  # a mixin: the library's recorder it is mixed into has it
            c.execute(f"SELECT * FROM {self.skipped_table} ORDER BY position")
            return [Skip(UUID(r["deal_id"]), r["position"], r["reason"], datetime.fromisoformat(r["skipped_at"]))
                    for r in c.fetchall()]

    def skipped_deals(self) -> set[UUID]:
        return {skip.deal_id for skip in self.skips()}

    def record_skip(self, skip: Skip) -> None:
        ph = self.dialect.placeholder
        with self.datastore.transaction(commit=True) as c:  # type: ignore[attr-defined]  # a mixin: the library's recorder it is mixed into has it
            c.execute(f"INSERT INTO {self.skipped_table} (deal_id, position, reason, skipped_at) "
                      f"VALUES ({ph}, {ph}, {ph}, {ph}) ON CONFLICT (deal_id) DO NOTHING",
                      (str(skip.deal_id), skip.position, skip.reason.replace("\x00", ""),
                       skip.skipped_at.isoformat()))

    @abstractmethod
    def rows(self, tables: Tables | None = None) -> list[DealRow]:
        """Every row of the live tables (or the given ones), by deal id: for comparing two builds."""

    # ---- rebuilding -------------------------------------------------------------------------------

    @abstractmethod
    def prepare_shadow(self) -> None:
        """Drop what a failed rebuild left behind and create empty shadow tables, without secondary indexes."""

    @abstractmethod
    def shadow_writer(self) -> AbstractContextManager[Callable[[Sequence[DealRow], Collection[UUID]], None]]:
        """A transaction on the shadow tables; the callable writes rows into it."""

    @abstractmethod
    def index_shadow(self) -> None: ...

    @abstractmethod
    def swap_in_shadow(
        self, finish: Callable[[Callable[[Sequence[DealRow], Collection[UUID]], None]], int | None]
    ) -> int | None:
        """Lock the position, let `finish` write the last events into the shadow (it returns the position reached),
        replace the live tables with the shadow ones and set the position, all in one transaction."""
