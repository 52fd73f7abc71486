"""How far behind the log the background work is, read from the database so any process can tell.

Projections are found by their tracking tables, whoever wrote them: on PostgreSQL every `<name>_tracking` table in
the schema, on SQLite every sibling file `<db>.<name>.db` with a `tracking` table. Queues (the webhook outbox) are
measured by the probes their components register in service.observability.metrics.
"""

from __future__ import annotations

import logging
import sqlite3
from contextlib import closing
from typing import Any

from service.observability.metrics import backlog_probes
from service.settings import Settings

log = logging.getLogger("deals.observability")
Readings = dict[str, dict[str, int | None]]


def measure(app: Any, settings: Settings) -> Readings:
    position = app.recorder.max_notification_id() or 0
    tracked = _postgres_tracking(app, settings) if settings.is_postgres else _sqlite_tracking(app, settings)
    return {
        "log": {"position": position},
        "projections": {name: max(0, position - (at or 0)) for name, at in tracked.items()},
        "queues": {name: _probe(name, probe, settings) for name, probe in backlog_probes().items()},
    }


def _probe(name: str, probe: Any, settings: Settings) -> int | None:
    try:
        return probe(settings)
    except Exception:
        log.warning("backlog probe %s failed", name, exc_info=True)
        return None


def _postgres_tracking(app: Any, settings: Settings) -> dict[str, int | None]:
    from psycopg.sql import SQL, Identifier

    schema = settings.postgres_schema
    found: dict[str, int | None] = {}
    with app.recorder.datastore.transaction(commit=False) as curs:
        curs.execute(
            "SELECT table_name FROM information_schema.tables WHERE table_schema = %s AND table_name LIKE %s",
            (schema, r"%\_tracking"),
        )
        tables = [row["table_name"] for row in curs.fetchall()]
        for table in sorted(tables):
            curs.execute(
                SQL("SELECT max(notification_id) AS n FROM {} WHERE application_name = %s").format(
                    Identifier(schema, table)
                ),
                (app.name,),
            )
            found[table.removesuffix("_tracking")] = curs.fetchone()["n"]
    return found


def _sqlite_tracking(app: Any, settings: Settings) -> dict[str, int | None]:
    path = settings.sqlite_path
    suffix = path.suffix or ".db"
    found: dict[str, int | None] = {}
    for file in sorted(path.parent.glob(f"{path.stem}.*{suffix}")):
        name = file.name.removeprefix(f"{path.stem}.").removesuffix(suffix)
        try:
            with closing(sqlite3.connect(f"file:{file}?mode=ro", uri=True, timeout=1)) as conn:
                if not conn.execute("SELECT 1 FROM sqlite_master WHERE name = 'tracking'").fetchone():
                    continue
                row = conn.execute(
                    "SELECT max(notification_id) FROM tracking WHERE application_name = ?", (app.name,)
                ).fetchone()
        except sqlite3.Error:
            log.warning("cannot read the tracking table of %s", file, exc_info=True)
            continue
        found[name] = row[0]
    return found
