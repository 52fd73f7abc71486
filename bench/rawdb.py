"""The database alone: single-row (or 100-row) INSERT transactions into a table shaped like the stored events."""

from __future__ import annotations

import os
import sqlite3
import threading
import time
import uuid
from urllib.parse import urlparse

import psycopg

STATE = b'{"quote":"We are close.","speaker":{"name":"Bench","party_id":"US"},"stance":"neutral"}' * 2
TOPIC = "domain.events:StatementRecorded"


def postgres_inserts(url: str, clients: int, seconds: float, rows: int = 1, locked: bool = False) -> float:
    """Rows/s of `clients` connections each committing INSERT transactions of `rows` rows back to back.

    `locked` adds what eventsourcing does in each insert transaction: LOCK TABLE … EXCLUSIVE and NOTIFY.
    """
    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute("CREATE TABLE IF NOT EXISTS bench_raw (originator_id uuid, originator_version int, topic text,"
                     " state bytea, notification_id bigserial UNIQUE, PRIMARY KEY (originator_id, originator_version))")
    counts = [0] * clients
    stop_at = time.perf_counter() + seconds

    def work(number: int) -> None:
        with psycopg.connect(url) as conn:
            stream, version = uuid.uuid4(), 0
            while time.perf_counter() < stop_at:
                params = []
                for _ in range(rows):
                    version += 1
                    params.append((stream, version, TOPIC, STATE))
                # Pipelined, as the library sends them: the statements go out together, one round trip and COMMIT.
                with conn.pipeline(), conn.transaction(), conn.cursor() as cur:
                    if locked:
                        cur.execute("LOCK TABLE bench_raw IN EXCLUSIVE MODE")
                        cur.execute("NOTIFY bench_raw")
                    cur.executemany("INSERT INTO bench_raw (originator_id, originator_version, topic, state)"
                                    " VALUES (%s, %s, %s, %s)", params)
                counts[number] += rows

    return _run_threads(work, clients, seconds, counts)


def sqlite_inserts(database_url: str, seconds: float, rows: int = 1) -> float:
    """Rows/s of one connection committing INSERT transactions (WAL, synchronous=FULL, as the library sets up)."""
    path = urlparse(database_url).path
    raw = os.path.join(os.path.dirname(path) or ".", "bench_raw.db")
    conn = sqlite3.connect(raw, isolation_level=None)
    conn.execute("PRAGMA journal_mode=WAL")
    conn.execute("PRAGMA synchronous=FULL")
    conn.execute("CREATE TABLE IF NOT EXISTS bench_raw (originator_id TEXT, originator_version INTEGER, topic TEXT,"
                 " state BLOB, PRIMARY KEY (originator_id, originator_version))")
    stream, version, count = uuid.uuid4().hex, 0, 0
    began = time.perf_counter()
    stop_at = began + seconds
    try:
        while time.perf_counter() < stop_at:
            conn.execute("BEGIN IMMEDIATE")
            for _ in range(rows):
                version += 1
                conn.execute("INSERT INTO bench_raw VALUES (?, ?, ?, ?)", (stream, version, TOPIC, STATE))
            conn.execute("COMMIT")
            count += rows
    finally:
        conn.close()
    return count / (time.perf_counter() - began)


def _run_threads(work, clients: int, seconds: float, counts: list[int]) -> float:  # type: ignore[no-untyped-def]
    began = time.perf_counter()
    threads = [threading.Thread(target=work, args=(n,)) for n in range(clients)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return sum(counts) / (time.perf_counter() - began)
