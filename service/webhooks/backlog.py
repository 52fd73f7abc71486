"""How many deliveries wait to be sent (to enabled endpoints), for /metrics and /readyz, read on a short-lived
connection so any process can tell."""

from __future__ import annotations

import sqlite3
from contextlib import closing
from pathlib import Path

import psycopg
from psycopg.sql import SQL, Identifier

from service.settings import Settings
from service.webhooks.outbox import WebhookOutbox

PENDING = (
    "SELECT count(*) FROM {deliveries} d JOIN {endpoints} e ON e.id = d.endpoint_id "
    "WHERE d.status = 'pending' AND e.enabled AND e.deleted_at IS NULL"
)


def pending_deliveries(settings: Settings) -> int:
    if settings.is_postgres:
        tables = {t: Identifier(settings.postgres_schema, f"webhook_{t}") for t in ("deliveries", "endpoints")}
        with psycopg.connect(settings.database_url, connect_timeout=3) as conn:
            try:
                row = conn.execute(SQL(PENDING).format(**tables)).fetchone()
            except psycopg.errors.UndefinedTable:
                return 0
        return int(row[0]) if row else 0
    path = Path(settings.sqlite_file(WebhookOutbox.name))
    if not path.exists():
        return 0
    with closing(sqlite3.connect(f"file:{path}?mode=ro", uri=True, timeout=3)) as conn:
        try:
            return int(conn.execute(PENDING.format(deliveries="deliveries", endpoints="endpoints")).fetchone()[0])
        except sqlite3.OperationalError:
            return 0
