"""A service that keeps its log's Merkle tree, and ways to tamper with its stored events behind its back."""

from __future__ import annotations

import time
from typing import Any
from uuid import UUID

import psycopg
from fastapi.testclient import TestClient
from pydantic import SecretStr

from service.ledger.note import new_signing_key
from service.settings import Settings

KEY = new_signing_key()
ORIGIN = "deals.test/log"


def with_ledger(settings: Settings, **changes: Any) -> Settings:
    return settings.model_copy(update={"ledger_signing_key": SecretStr(KEY), "ledger_origin": ORIGIN,
                                       "ledger_checkpoint_interval": 0.05, **changes})


def wait_for_checkpoint(client: TestClient, size: int, timeout: float = 20.0) -> str:
    """The latest checkpoint once it covers `size` events."""
    deadline = time.monotonic() + timeout
    while True:
        response = client.get("/log/checkpoint")
        if response.status_code == 200 and int(response.text.split("\n")[1]) >= size:
            return response.text
        assert time.monotonic() < deadline, f"no checkpoint of {size} events: {response.status_code} {response.text}"
        time.sleep(0.05)


class Tamper:
    """Direct SQL on the stored events table, as someone with the database's password could run it."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings

    def _run(self, sqlite: str, postgres: str, params: tuple[Any, ...]) -> list[Any]:
        if self.settings.is_postgres:
            with psycopg.connect(self.settings.database_url, autocommit=True) as conn:
                conn.execute(f"SET search_path TO {self.settings.postgres_schema}")
                cur = conn.execute(postgres.replace("stored_events", "deals_events"), params)
                return cur.fetchall() if cur.description else []
        import sqlite3

        conn = sqlite3.connect(self.settings.sqlite_path)
        try:
            with conn:
                rows = conn.execute(sqlite, params).fetchall()
            return rows
        finally:
            conn.close()

    def _id(self, deal_id: str) -> Any:
        return UUID(deal_id) if self.settings.is_postgres else UUID(deal_id).hex

    def state(self, deal_id: str, version: int) -> bytes:
        rows = self._run("SELECT state FROM stored_events WHERE originator_id=? AND originator_version=?",
                         "SELECT state FROM stored_events WHERE originator_id=%s AND originator_version=%s",
                         (self._id(deal_id), version))
        return bytes(rows[0][0])

    def update(self, deal_id: str, version: int, old: bytes, new: bytes) -> None:
        state = self.state(deal_id, version)
        assert old in state
        self._run("UPDATE stored_events SET state=? WHERE originator_id=? AND originator_version=?",
                  "UPDATE stored_events SET state=%s WHERE originator_id=%s AND originator_version=%s",
                  (state.replace(old, new), self._id(deal_id), version))

    def delete(self, deal_id: str, version: int) -> None:
        self._run("DELETE FROM stored_events WHERE originator_id=? AND originator_version=?",
                  "DELETE FROM stored_events WHERE originator_id=%s AND originator_version=%s",
                  (self._id(deal_id), version))

    def insert(self, deal_id: str, copy_of: int, version: int, position: int) -> None:
        """A copy of one of the deal's events as a new version, at a position of the attacker's choosing."""
        self._run("INSERT INTO stored_events (rowid, originator_id, originator_version, topic, state) "
                  "SELECT ?, originator_id, ?, topic, state FROM stored_events WHERE originator_id=? "
                  "AND originator_version=?",
                  "INSERT INTO stored_events (notification_id, originator_id, originator_version, topic, state) "
                  "SELECT %s, originator_id, %s, topic, state FROM stored_events WHERE originator_id=%s "
                  "AND originator_version=%s",
                  (position, version, self._id(deal_id), copy_of))

    def swap(self, deal_id: str, first: int, second: int) -> None:
        """Two events of the deal trade positions in the log (each keeps its version and content)."""
        col = "notification_id" if self.settings.is_postgres else "rowid"
        mark = "%s" if self.settings.is_postgres else "?"
        where = f"originator_id={mark} AND originator_version={mark}"
        d = self._id(deal_id)
        select = f"SELECT {col} FROM stored_events WHERE {where}"
        a = self._run(select, select, (d, first))[0][0]
        b = self._run(select, select, (d, second))[0][0]
        for position, version in ((-1, first), (a, second), (b, first)):
            statement = f"UPDATE stored_events SET {col}={mark} WHERE {where}"
            self._run(statement, statement, (position, d, version))
