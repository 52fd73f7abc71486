"""`deals worker --check`: is the worker in this container healthy? Its database answers, and the worker process
touched its heartbeat file recently (it does so every HEARTBEAT_SECONDS while it runs)."""

from __future__ import annotations

import sqlite3
import tempfile
import time
from contextlib import closing
from pathlib import Path

import psycopg

from service.settings import Settings

HEARTBEAT_SECONDS = 5.0
STALE_AFTER_SECONDS = 30.0
DEFAULT_HEARTBEAT = Path(tempfile.gettempdir()) / "deals-worker.heartbeat"


def beat(path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(f"{time.time():.3f}\n")


def worker_check(settings: Settings, heartbeat: Path, stale_after: float = STALE_AFTER_SECONDS) -> str | None:
    """None when healthy, else what is wrong (one line)."""
    try:
        age = time.time() - heartbeat.stat().st_mtime
    except FileNotFoundError:
        return f"no worker heartbeat at {heartbeat}: is `deals worker` running here?"
    if age > stale_after:
        return f"the worker's heartbeat is {age:.0f} s old (more than {stale_after:.0f} s): the worker is stuck"
    return database_problem(settings)


def database_problem(settings: Settings) -> str | None:
    """None when the configured database answers a query within a few seconds."""
    try:
        if settings.is_postgres:
            env = settings.postgres_env()
            with psycopg.connect(host=env["POSTGRES_HOST"], port=env["POSTGRES_PORT"], dbname=env["POSTGRES_DBNAME"],
                                 user=env["POSTGRES_USER"], password=env["POSTGRES_PASSWORD"],
                                 connect_timeout=3) as connection:
                connection.execute("SELECT 1")
        else:
            if not settings.sqlite_path.exists():
                return f"the SQLite database {settings.sqlite_path} does not exist"
            with closing(sqlite3.connect(f"file:{settings.sqlite_path}?mode=ro", uri=True, timeout=3)) as connection:
                connection.execute("SELECT 1")
    except (psycopg.Error, sqlite3.Error) as error:
        return f"the database does not answer: {' '.join(str(error).split())}"
    return None
