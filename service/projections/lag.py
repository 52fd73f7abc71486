"""How far each projection is behind the log: in events, and in seconds since the oldest event it has not processed.

Projections are found by their tracking tables, whoever runs them: on PostgreSQL every `<name>_tracking` table in
the schema, on SQLite every sibling file `<db>.<name>.db` that has a `tracking` table.
"""

from __future__ import annotations

import sqlite3
from contextlib import closing
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from service.application import DealsApplication
from service.settings import Settings


@dataclass(frozen=True)
class Lag:
    name: str
    position: int
    head: int
    lag_events: int
    lag_seconds: float
    oldest_unprocessed_at: datetime | None


def lags(app: DealsApplication, settings: Settings) -> list[Lag]:
    head = app.recorder.max_notification_id() or 0
    tracked = _postgres_positions(app, settings) if settings.is_postgres else _sqlite_positions(app, settings)
    return [_lag(app, name, position, head) for name, position in sorted(tracked.items())]


def _lag(app: DealsApplication, name: str, position: int, head: int) -> Lag:
    behind = app.recorder.select_notifications(start=position, limit=1, inclusive_of_start=False)
    if not behind:
        return Lag(name, position, head, 0, 0.0, None)
    oldest: datetime = app.mapper.to_domain_event(behind[0]).timestamp  # type: ignore[attr-defined]  # a DealEvent; the library types it as its event protocol
    seconds = max(0.0, (datetime.now(UTC) - oldest).total_seconds())
    return Lag(name, position, head, _count_after(app, position), round(seconds, 3), oldest)


def _count_after(app: DealsApplication, position: int) -> int:
    """Events after the position (notification ids may have gaps, so not head - position)."""
    recorder: Any = app.recorder  # the backend's own recorder class (storage/environment.py)
    table = recorder.events_table_name
    with recorder.datastore.transaction(commit=False) as c:
        if app.settings.is_postgres:
            schema = recorder.datastore.schema
            c.execute(f'SELECT COUNT(*) AS n FROM "{schema}"."{table}" WHERE notification_id > %s', (position,))
            return int(c.fetchone()["n"])
        c.execute(f"SELECT COUNT(*) FROM {table} WHERE rowid > ?", (position,))
        return int(c.fetchone()[0])


def _postgres_positions(app: DealsApplication, settings: Settings) -> dict[str, int]:
    schema = settings.postgres_schema
    found: dict[str, int] = {}
    with app.recorder.datastore.transaction(commit=False) as c:
        c.execute("SELECT table_name FROM information_schema.tables WHERE table_schema = %s AND table_name LIKE %s",
                  (schema, r"%\_tracking"))
        for table in sorted(row["table_name"] for row in c.fetchall()):
            c.execute(f'SELECT max(notification_id) AS n FROM "{schema}"."{table}" WHERE application_name = %s',
                      (app.name,))
            found[table.removesuffix("_tracking")] = c.fetchone()["n"] or 0
    return found


def _sqlite_positions(app: DealsApplication, settings: Settings) -> dict[str, int]:
    path = settings.sqlite_path
    suffix = path.suffix or ".db"
    found: dict[str, int] = {}
    for file in sorted(path.parent.glob(f"{path.stem}.*{suffix}")):
        with closing(sqlite3.connect(f"file:{file}?mode=ro", uri=True, timeout=5)) as conn:
            if conn.execute("SELECT 1 FROM sqlite_master WHERE name = 'tracking'").fetchone() is None:
                continue
            row = conn.execute("SELECT max(notification_id) FROM tracking WHERE application_name = ?",
                               (app.name,)).fetchone()
        found[file.name.removeprefix(f"{path.stem}.").removesuffix(suffix)] = row[0] or 0
    return found
