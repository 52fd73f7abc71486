"""The webhook tables in PostgreSQL, next to the event store, prefixed `webhook_`.

Senders in several processes claim due deliveries with FOR UPDATE SKIP LOCKED and a lease, and learn of new work
through NOTIFY on a channel named after the schema.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from datetime import datetime
from typing import Any
from uuid import UUID

from eventsourcing.postgres import PostgresTrackingRecorder
from psycopg.sql import SQL, Identifier

from service.storage.pg_tables import SerialTableCreation, lock_key
from service.webhooks.sql import Group
from service.webhooks.store import WebhookStore
from service.webhooks.store_queue import CLAIMED_COLUMNS

DDL = [
    "CREATE TABLE IF NOT EXISTS {endpoints} (id uuid PRIMARY KEY, url text NOT NULL, description text, "
    "event_types text NOT NULL, deal_ids text, secret text NOT NULL, previous_secret text, "
    "previous_secret_expires_at timestamptz, enabled boolean NOT NULL, disabled_reason text, disabled_at timestamptz, "
    "failing_since timestamptz, after_position bigint NOT NULL, created_at timestamptz NOT NULL, "
    "updated_at timestamptz NOT NULL, deleted_at timestamptz)",
    "CREATE TABLE IF NOT EXISTS {messages} (id uuid PRIMARY KEY, position bigint UNIQUE, deal_id uuid, "
    "version integer, type text NOT NULL, recorded_at timestamptz NOT NULL, body text NOT NULL)",
    "CREATE INDEX IF NOT EXISTS {prefix}messages_recorded_at ON {messages} (recorded_at)",
    "CREATE TABLE IF NOT EXISTS {deliveries} (id bigserial PRIMARY KEY, "
    "endpoint_id uuid NOT NULL REFERENCES {endpoints} (id), message_id uuid NOT NULL REFERENCES {messages} (id), "
    "position bigint, deal_id uuid, origin text NOT NULL, status text NOT NULL, ready boolean NOT NULL, "
    "attempts integer NOT NULL, "
    "next_attempt_at timestamptz, lease_until timestamptz, created_at timestamptz NOT NULL, finished_at timestamptz)",
    "CREATE INDEX IF NOT EXISTS {prefix}deliveries_due ON {deliveries} (next_attempt_at, id) "
    "WHERE status = 'pending' AND ready",
    "CREATE INDEX IF NOT EXISTS {prefix}deliveries_order ON {deliveries} (endpoint_id, deal_id, position) "
    "WHERE status = 'pending'",
    "CREATE INDEX IF NOT EXISTS {prefix}deliveries_log ON {deliveries} (endpoint_id, id)",
    "CREATE TABLE IF NOT EXISTS {attempts} (id bigserial PRIMARY KEY, "
    "delivery_id bigint NOT NULL REFERENCES {deliveries} (id), attempted_at timestamptz NOT NULL, "
    "status_code integer, latency_ms double precision, response_body text, error text)",
    "CREATE INDEX IF NOT EXISTS {prefix}attempts_delivery ON {attempts} (delivery_id)",
    "CREATE TABLE IF NOT EXISTS {notices} (id bigserial PRIMARY KEY, "
    "endpoint_id uuid NOT NULL REFERENCES {endpoints} (id), type text NOT NULL, created_at timestamptz NOT NULL, "
    "reason text NOT NULL)",
]
PREFIX = "webhook_"
_PLACEHOLDER = re.compile(r"(?<![:\w]):(\w+)")


class PostgresWebhookStore(SerialTableCreation, WebhookStore, PostgresTrackingRecorder):
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        names = {t: self.table(t) for t in ("endpoints", "messages", "deliveries", "attempts", "notices")}
        for statement in DDL:
            self.sql_create_statements.append(SQL(statement.format(prefix=PREFIX, **names)))  # type: ignore[arg-type]  # the statements are this module's constants, not input

    @property
    def channel(self) -> str:
        return f"{self.datastore.schema}_{PREFIX}deliveries"[:63]

    def table(self, name: str) -> str:
        return f'"{self.datastore.schema}"."{PREFIX}{name}"'

    def wake_key(self) -> str:
        kwargs: dict[str, Any] = self.datastore.pool.kwargs  # type: ignore[assignment]  # psycopg_pool types it loosely
        return f"postgres:{kwargs.get('host')}:{kwargs.get('port')}/{kwargs.get('dbname')}/{self.datastore.schema}"

    def _claim_rows(self, cur: Any, now: datetime, lease_until: datetime, limit: int,
                    skip: Sequence[UUID]) -> list[dict[str, Any]]:
        due, params = self._due(skip)
        return self._query(cur, f"WITH due AS (SELECT d.id {due} FOR UPDATE OF d SKIP LOCKED) "
                                "UPDATE {deliveries} AS d SET lease_until = :lease_until "
                                "FROM due, {messages} m, {endpoints} e "
                                "WHERE d.id = due.id AND m.id = d.message_id AND e.id = d.endpoint_id "
                                f"RETURNING {CLAIMED_COLUMNS}", now=now, lease_until=lease_until, limit=limit,
                           **params)

    def _lock_groups(self, cur: Any, groups: Sequence[Group]) -> None:
        # Endpoints first (shared), then groups, each in key order: no two writers wait for each other in a cycle.
        endpoints = sorted({self._endpoint_key(endpoint) for endpoint, _ in groups})
        keys = sorted({lock_key(f"{self.datastore.schema}:{endpoint}:{deal}") for endpoint, deal in groups})
        if endpoints:
            cur.executemany("SELECT pg_advisory_xact_lock_shared(%s)", [(k,) for k in endpoints])
        if keys:
            cur.executemany("SELECT pg_advisory_xact_lock(%s)", [(k,) for k in keys])

    def _lock_endpoint(self, cur: Any, endpoint_id: UUID) -> None:
        cur.execute("SELECT pg_advisory_xact_lock(%s)", (self._endpoint_key(endpoint_id),))

    def _endpoint_key(self, endpoint_id: UUID) -> int:
        return lock_key(f"{self.datastore.schema}:endpoint:{endpoint_id}")

    def _begin_write(self, cur: Any) -> None:
        # Not waiting for the WAL flush is safe here: a commit lost in a database crash is a hand-off redone from
        # the tracked position (itself lost with it), a lease or an outcome forgotten, so a delivery sent once more
        # with the same webhook-id, which at-least-once allows. The event log keeps synchronous commits.
        cur.execute("SET LOCAL synchronous_commit = off")

    def _notify_processes(self, cur: Any) -> None:
        cur.execute(SQL("NOTIFY {}").format(Identifier(self.channel)))

    def _param(self, value: Any) -> Any:
        return value

    def _value(self, column: str, value: Any) -> Any:
        return value

    def _rowcount(self, cur: Any) -> int:
        return cur.rowcount

    def _placeholders(self, sql: str) -> str:
        return _PLACEHOLDER.sub(r"%(\1)s", sql)
