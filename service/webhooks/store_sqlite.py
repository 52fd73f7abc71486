"""The webhook tables in SQLite, in the outbox's own file (SQLite tables are not prefixed, so nothing else shares it).

Times are stored as Unix seconds (REAL). SQLite has no row locks: claiming is one UPDATE … RETURNING, which SQLite
runs under its single writer lock, and a single sender per process claims.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any
from uuid import UUID

from eventsourcing.sqlite import SQLiteTrackingRecorder

from service.webhooks.sql import TIME_COLUMNS, Group
from service.webhooks.store import WebhookStore

DDL = [
    "CREATE TABLE IF NOT EXISTS endpoints (id TEXT PRIMARY KEY, url TEXT NOT NULL, description TEXT, "
    "event_types TEXT NOT NULL, deal_ids TEXT, secret TEXT NOT NULL, previous_secret TEXT, "
    "previous_secret_expires_at REAL, enabled INTEGER NOT NULL, disabled_reason TEXT, disabled_at REAL, "
    "failing_since REAL, after_position INTEGER NOT NULL, created_at REAL NOT NULL, updated_at REAL NOT NULL, "
    "deleted_at REAL)",
    "CREATE TABLE IF NOT EXISTS messages (id TEXT PRIMARY KEY, position INTEGER UNIQUE, deal_id TEXT, "
    "version INTEGER, type TEXT NOT NULL, recorded_at REAL NOT NULL, body TEXT NOT NULL)",
    "CREATE INDEX IF NOT EXISTS messages_recorded_at ON messages (recorded_at)",
    "CREATE TABLE IF NOT EXISTS deliveries (id INTEGER PRIMARY KEY AUTOINCREMENT, "
    "endpoint_id TEXT NOT NULL REFERENCES endpoints (id), message_id TEXT NOT NULL REFERENCES messages (id), "
    "position INTEGER, deal_id TEXT, origin TEXT NOT NULL, status TEXT NOT NULL, ready INTEGER NOT NULL, "
    "attempts INTEGER NOT NULL, "
    "next_attempt_at REAL, lease_until REAL, created_at REAL NOT NULL, finished_at REAL)",
    "CREATE INDEX IF NOT EXISTS deliveries_due ON deliveries (next_attempt_at, id) WHERE status = 'pending' AND ready",
    "CREATE INDEX IF NOT EXISTS deliveries_order ON deliveries (endpoint_id, deal_id, position) "
    "WHERE status = 'pending'",
    "CREATE INDEX IF NOT EXISTS deliveries_log ON deliveries (endpoint_id, id)",
    "CREATE TABLE IF NOT EXISTS attempts (id INTEGER PRIMARY KEY AUTOINCREMENT, "
    "delivery_id INTEGER NOT NULL REFERENCES deliveries (id), attempted_at REAL NOT NULL, status_code INTEGER, "
    "latency_ms REAL, response_body TEXT, error TEXT)",
    "CREATE INDEX IF NOT EXISTS attempts_delivery ON attempts (delivery_id)",
    "CREATE TABLE IF NOT EXISTS notices (id INTEGER PRIMARY KEY AUTOINCREMENT, "
    "endpoint_id TEXT NOT NULL REFERENCES endpoints (id), type TEXT NOT NULL, created_at REAL NOT NULL, "
    "reason TEXT NOT NULL)",
]


class SQLiteWebhookStore(WebhookStore, SQLiteTrackingRecorder):
    def construct_create_table_statements(self) -> list[str]:
        return [*super().construct_create_table_statements(), *DDL]

    def table(self, name: str) -> str:
        return name

    def wake_key(self) -> str:
        return f"sqlite:{self.datastore.pool.db_name}"

    def _claim_rows(self, cur: Any, now: datetime, lease_until: datetime, limit: int,
                    skip: Sequence[UUID]) -> list[dict[str, Any]]:
        due, params = self._due(skip)
        rows = self._query(cur, f"UPDATE {{deliveries}} SET lease_until = :lease_until WHERE id IN (SELECT d.id {due}) "
                                "RETURNING id", now=now, lease_until=lease_until, limit=limit, **params)
        return self._claimed(cur, [r["id"] for r in rows])

    def _lock_groups(self, cur: Any, groups: Sequence[Group]) -> None:
        """SQLite runs one writing transaction at a time: a group's writers are serialised already."""

    def _lock_endpoint(self, cur: Any, endpoint_id: UUID) -> None:
        """Take SQLite's writer lock now (a write), so nothing changes between this transaction's reads and writes."""
        cur.execute("UPDATE endpoints SET updated_at = updated_at WHERE id = ?", (str(endpoint_id),))

    def _notify_processes(self, cur: Any) -> None:
        """Other processes on this file find new work at their next poll."""

    def _param(self, value: Any) -> Any:
        if isinstance(value, datetime):
            return value.timestamp()
        if isinstance(value, UUID):
            return str(value)
        return value

    def _value(self, column: str, value: Any) -> Any:
        if value is not None and column in TIME_COLUMNS:
            return datetime.fromtimestamp(value, UTC)
        return value

    def _rowcount(self, cur: Any) -> int:
        return cur.sqlite_cursor.rowcount

    def _placeholders(self, sql: str) -> str:
        return sql
