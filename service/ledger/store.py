"""Where the log's Merkle tree is kept: leaves, complete subtree nodes, and signed checkpoints.

- leaves (leaf_index, position, deal_id, version): which event each leaf is (positions may skip numbers on
  PostgreSQL, where a rolled-back insert uses up sequence values, so a leaf's index is its rank in the feed);
- nodes (level, idx, hash): every complete subtree, level 0 being the leaf hashes (merkle.py);
- checkpoints (tree_size, root, note, cut_at): every signed checkpoint cut, kept (a rotation re-signs the latest);
- keys (verifier, from_tree_size, added_at): every key the log has signed with, and the tree size it took over at.

On SQLite these live in a file of their own beside the events (deals.ledger.db), so hashing never takes the
events' write lock; on PostgreSQL they are ledger_* tables in the same schema. Only the process holding the
ledger lock (follower.py) writes them.
"""

from __future__ import annotations

import sqlite3
import threading
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any
from uuid import UUID

import psycopg

from service.ledger.merkle import Node, new_nodes
from service.settings import Settings

Leaf = tuple[int, int, UUID, int, bytes]  # (leaf_index, position, deal_id, version, leaf_hash)


@dataclass(frozen=True)
class StoredCheckpoint:
    tree_size: int
    root: bytes
    note: str
    cut_at: float


class LedgerStore:
    def __init__(self, settings: Settings) -> None:
        self.postgres = settings.is_postgres
        # One connection, one statement at a time: a proof is one or two quick reads, and API replicas and the
        # follower each have their own store.
        self._lock = threading.RLock()
        self._conn: Any = None
        if self.postgres:
            schema = settings.postgres_schema
            self.leaves, self.nodes, self.checkpoints, self.keys_table = (
                f'"{schema}".ledger_{t}' for t in ("leaves", "nodes", "checkpoints", "keys"))
            self._url = settings.database_url
        else:
            self.leaves, self.nodes, self.checkpoints, self.keys_table = "leaves", "nodes", "checkpoints", "keys"
            self._path = settings.sqlite_file("ledger")
        self._create()

    # ---- connections ----------------------------------------------------------------------------

    def _connection(self) -> Any:
        if self._conn is None or (self.postgres and self._conn.closed):
            if self.postgres:
                self._conn = psycopg.connect(self._url, autocommit=False, connect_timeout=5)
            else:
                self._conn = sqlite3.connect(self._path, timeout=10, isolation_level=None, check_same_thread=False)
                self._conn.execute("PRAGMA journal_mode=WAL")
        return self._conn

    @contextmanager
    def _tx(self) -> Iterator[Any]:
        with self._lock:
            conn = self._connection()
            if self.postgres:
                with conn.transaction(), conn.cursor() as cur:
                    yield _Cursor(cur, True)
                return
            conn.execute("BEGIN IMMEDIATE")
            try:
                yield _Cursor(conn.cursor(), False)
                conn.execute("COMMIT")
            except BaseException:
                conn.execute("ROLLBACK")
                raise

    @contextmanager
    def _read(self, snapshot: bool = False) -> Iterator[Any]:
        """A read transaction; with snapshot=True, every statement in it sees the same snapshot (SQLite's read
        transactions always do; PostgreSQL needs REPEATABLE READ)."""
        with self._lock:
            conn = self._connection()
            if self.postgres:
                try:
                    with conn.cursor() as cur:
                        if snapshot:
                            cur.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ")
                        yield _Cursor(cur, True)
                finally:
                    conn.rollback()
                return
            conn.execute("BEGIN")
            try:
                yield _Cursor(conn.cursor(), False)
            finally:
                conn.execute("COMMIT")

    def close(self) -> None:
        with self._lock:
            if self._conn is not None:
                self._conn.close()
                self._conn = None

    def _create(self) -> None:
        blob, deal = ("bytea", "uuid") if self.postgres else ("BLOB", "TEXT")
        statements = [
            f"CREATE TABLE IF NOT EXISTS {self.leaves} (leaf_index bigint PRIMARY KEY, position bigint NOT NULL "
            f"UNIQUE, deal_id {deal} NOT NULL, version bigint NOT NULL)",
            f"CREATE INDEX IF NOT EXISTS {self.leaves.split('.')[-1].strip(chr(34))}_deal ON {self.leaves} "
            "(deal_id, version)",
            f"CREATE TABLE IF NOT EXISTS {self.nodes} (level integer NOT NULL, idx bigint NOT NULL, "
            f"hash {blob} NOT NULL, PRIMARY KEY (level, idx))",
            f"CREATE TABLE IF NOT EXISTS {self.checkpoints} (tree_size bigint PRIMARY KEY, root {blob} NOT NULL, "
            "note text NOT NULL, cut_at double precision NOT NULL)",
            f"CREATE TABLE IF NOT EXISTS {self.keys_table} (verifier text PRIMARY KEY, from_tree_size bigint NOT NULL, "
            "added_at double precision NOT NULL)",
        ]
        if self.postgres:
            from service.storage.pg_tables import TABLE_CREATION_LOCK

            with self._tx() as c:
                c.execute("SELECT pg_advisory_xact_lock(?)", (TABLE_CREATION_LOCK,))
                for statement in statements:
                    c.execute(statement)
        else:
            with self._tx() as c:
                for statement in statements:
                    c.execute(statement)

    def _deal(self, deal_id: UUID) -> Any:
        return deal_id if self.postgres else str(deal_id)

    # ---- leaves and nodes -----------------------------------------------------------------------

    def size(self) -> tuple[int, int]:
        """(leaves in the tree, the position of the last one; 0 for none)."""
        with self._read() as c:
            return self._size(c)

    def _size(self, c: Any) -> tuple[int, int]:
        c.execute(f"SELECT leaf_index, position FROM {self.leaves} ORDER BY leaf_index DESC LIMIT 1")
        row = c.fetchone()
        return (0, 0) if row is None else (row[0] + 1, row[1])

    def append(self, old_size: int, leaves: Sequence[tuple[int, UUID, int, bytes]]) -> int:
        """Add leaves (position, deal_id, version, leaf_hash) after the first `old_size`; returns the new size."""
        with self._tx() as c:
            made = new_nodes(old_size, [leaf[3] for leaf in leaves], lambda keys: self._nodes(c, keys))
            rows = [(old_size + i, p, self._deal(d), v) for i, (p, d, v, _) in enumerate(leaves)]
            nodes = [(lv, i, h) for (lv, i), h in made.items()]
            if self.postgres and rows:  # a statement per table, not one per row
                c.execute(f"INSERT INTO {self.leaves} SELECT * FROM unnest(?::bigint[], ?::bigint[], ?::uuid[], "
                          "?::bigint[])", [list(column) for column in zip(*rows, strict=True)])
                c.execute(f"INSERT INTO {self.nodes} SELECT * FROM unnest(?::int[], ?::bigint[], ?::bytea[])",
                          [list(column) for column in zip(*nodes, strict=True)])
            else:
                c.executemany(f"INSERT INTO {self.leaves} VALUES (?,?,?,?)", rows)
                c.executemany(f"INSERT INTO {self.nodes} VALUES (?,?,?)", nodes)
        return old_size + len(leaves)

    def read_nodes(self, keys: Iterable[Node]) -> dict[Node, bytes]:
        with self._read() as c:
            return self._nodes(c, set(keys))

    def _nodes(self, c: Any, keys: set[Node]) -> dict[Node, bytes]:
        found = self._pg_nodes(c, keys) if self.postgres else self._sqlite_nodes(c, keys)
        missing = keys - found.keys()
        if missing:
            raise LookupError(f"the ledger lacks nodes {sorted(missing)[:3]}")
        return found

    def _pg_nodes(self, c: Any, keys: set[Node]) -> dict[Node, bytes]:
        """One statement, one plan: an index lookup per key."""
        if not keys:
            return {}
        wanted = sorted(keys)
        c.execute(f"SELECT n.level, n.idx, n.hash FROM unnest(?::int[], ?::bigint[]) AS k(level, idx) "
                  f"JOIN {self.nodes} AS n ON n.level = k.level AND n.idx = k.idx",
                  ([k[0] for k in wanted], [k[1] for k in wanted]))
        return {(level, i): bytes(h) for level, i, h in c.fetchall()}

    def _sqlite_nodes(self, c: Any, keys: set[Node]) -> dict[Node, bytes]:
        """One statement for a proof's few dozen nodes, a branch per level so that each is an index lookup (a
        row-value IN is a full scan on SQLite)."""
        by_level: dict[int, list[int]] = {}
        for level, index in keys:
            by_level.setdefault(level, []).append(index)
        levels = sorted(by_level.items())
        found: dict[Node, bytes] = {}
        for start in range(0, len(levels), 16):
            chunk = levels[start:start + 16]
            c.execute(" UNION ALL ".join(
                f"SELECT level, idx, hash FROM {self.nodes} WHERE level = ? AND idx IN ({','.join('?' * len(ix))})"
                for _, ix in chunk), [v for level, ix in chunk for v in (level, *ix)])
            found.update({(level, i): bytes(h) for level, i, h in c.fetchall()})
        return found

    def leaf_at(self, position: int) -> tuple[int, bytes] | None:
        """(leaf_index, leaf_hash) of the event at a position."""
        with self._read() as c:
            c.execute(f"SELECT l.leaf_index, n.hash FROM {self.leaves} AS l JOIN {self.nodes} AS n ON n.level = 0 "
                      "AND n.idx = l.leaf_index WHERE l.position = ?", (position,))
            row = c.fetchone()
        return None if row is None else (row[0], bytes(row[1]))

    def deal_leaves(self, deal_id: UUID) -> tuple[list[Leaf], tuple[int, int]]:
        """The deal's leaves and the tree's size (as size() gives it), read in one snapshot: a leaf the follower
        adds meanwhile is in neither or in both."""
        with self._read(snapshot=True) as c:
            c.execute(f"SELECT l.leaf_index, l.position, l.deal_id, l.version, n.hash FROM {self.leaves} AS l "
                      f"JOIN {self.nodes} AS n ON n.level = 0 AND n.idx = l.leaf_index WHERE l.deal_id = ? "
                      "ORDER BY l.version, l.leaf_index", (self._deal(deal_id),))
            leaves = [self._leaf(row) for row in c.fetchall()]
            return leaves, self._size(c)

    def leaves_page(self, after_index: int, limit: int, raw: bool = False) -> list[Any]:
        """Leaves with index > after_index (-1 for the first), in order; raw: each deal id as its 16 bytes."""
        deal = "uuid_send(l.deal_id)" if raw and self.postgres else "l.deal_id"  # PostgreSQL: its 16 bytes
        with self._read() as c:
            c.execute(f"SELECT l.leaf_index, l.position, {deal}, l.version, n.hash FROM {self.leaves} AS l "
                      f"JOIN {self.nodes} AS n ON n.level = 0 AND n.idx = l.leaf_index WHERE l.leaf_index > ? "
                      "ORDER BY l.leaf_index LIMIT ?", (after_index, limit))
            rows = c.fetchall()
        if not raw:
            return [self._leaf(row) for row in rows]
        if self.postgres:
            return [(i, p, bytes(d), v, bytes(h)) for i, p, d, v, h in rows]
        return [(i, p, bytes.fromhex(d.replace("-", "")), v, h) for i, p, d, v, h in rows]

    def _leaf(self, row: Sequence[Any]) -> Leaf:
        deal = row[2] if isinstance(row[2], UUID) else UUID(row[2])
        return (row[0], row[1], deal, row[3], bytes(row[4]))

    # ---- checkpoints ----------------------------------------------------------------------------

    def add_checkpoint(self, checkpoint: StoredCheckpoint) -> None:
        with self._tx() as c:
            c.execute(f"INSERT INTO {self.checkpoints} VALUES (?,?,?,?)",
                      (checkpoint.tree_size, checkpoint.root, checkpoint.note, checkpoint.cut_at))

    def latest_checkpoint(self) -> StoredCheckpoint | None:
        found = self.list_checkpoints(limit=1)
        return found[0] if found else None

    def list_checkpoints(self, limit: int = 100, before: int | None = None) -> list[StoredCheckpoint]:
        """Newest first; `before`: only those of smaller trees."""
        with self._read() as c:
            c.execute(f"SELECT tree_size, root, note, cut_at FROM {self.checkpoints} WHERE tree_size < ? "
                      "ORDER BY tree_size DESC LIMIT ?", (2**63 - 1 if before is None else before, limit))
            return [StoredCheckpoint(s, bytes(r), n, t) for s, r, n, t in c.fetchall()]

    def replace_checkpoint(self, checkpoint: StoredCheckpoint) -> None:
        """Re-sign the checkpoint of a tree size (a new key took over and the log has not grown since)."""
        with self._tx() as c:
            c.execute(f"UPDATE {self.checkpoints} SET note = ?, cut_at = ? WHERE tree_size = ?",
                      (checkpoint.note, checkpoint.cut_at, checkpoint.tree_size))

    # ---- signing keys ---------------------------------------------------------------------------

    def signing_keys(self) -> list[tuple[str, int, float]]:
        """(verifier key, the tree size it took over at, when), oldest first: the last is the current one."""
        with self._read() as c:
            c.execute(f"SELECT verifier, from_tree_size, added_at FROM {self.keys_table} "
                      "ORDER BY added_at, from_tree_size")
            return [(v, size, at) for v, size, at in c.fetchall()]

    def add_signing_key(self, verifier: str, from_tree_size: int, added_at: float) -> None:
        with self._tx() as c:
            c.execute(f"INSERT INTO {self.keys_table} VALUES (?,?,?)", (verifier, from_tree_size, added_at))

    def checkpoint_of(self, tree_size: int) -> StoredCheckpoint | None:
        with self._read() as c:
            c.execute(f"SELECT tree_size, root, note, cut_at FROM {self.checkpoints} WHERE tree_size = ?",
                      (tree_size,))
            row = c.fetchone()
        return None if row is None else StoredCheckpoint(row[0], bytes(row[1]), row[2], row[3])


class _Cursor:
    """A cursor taking `?` placeholders on both backends."""

    def __init__(self, cursor: Any, postgres: bool) -> None:
        self.cursor = cursor
        self.postgres = postgres

    def _sql(self, statement: str) -> str:
        return statement.replace("?", "%s") if self.postgres else statement

    def execute(self, statement: str, params: Sequence[Any] = ()) -> None:
        self.cursor.execute(self._sql(statement), params)

    def executemany(self, statement: str, rows: Sequence[Sequence[Any]]) -> None:
        if rows:
            self.cursor.executemany(self._sql(statement), rows)

    def fetchone(self) -> Any:
        return self.cursor.fetchone()

    def fetchall(self) -> list[Any]:
        return self.cursor.fetchall()
