"""The timeline index and replay queries on SQLite, on top of the polling application recorder."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from functools import lru_cache
from typing import Any
from uuid import UUID

from eventsourcing.persistence import Notification, StoredEvent
from eventsourcing.sqlite import SQLiteCursor

from service.storage.event_index import CutFacts, EventIndexRecorder, Extent, FeedRow, feed_rows, timeline_rows
from service.storage.sqlite_polling import PollingSQLiteApplicationRecorder
from service.wire.event_json import FINGERPRINT


@lru_cache(maxsize=65536)
def _dashed(hex_id: str) -> str:
    """The stored hex id in a UUID's text form (cached: a feed page holds few deals, each many times)."""
    return f"{hex_id[:8]}-{hex_id[8:12]}-{hex_id[12:16]}-{hex_id[16:20]}-{hex_id[20:]}"


class IndexedSQLiteApplicationRecorder(EventIndexRecorder, PollingSQLiteApplicationRecorder):
    def __init__(self, datastore: Any, events_table_name: str = "stored_events") -> None:
        self.timeline_table = events_table_name.replace("events", "timeline")
        self.feed_table = events_table_name.replace("events", "feed")
        super().__init__(datastore, events_table_name)
        self.insert_timeline_statement = f"INSERT OR IGNORE INTO {self.timeline_table} VALUES (?,?,?,?,?,?)"
        self.insert_feed_statement = f"INSERT OR IGNORE INTO {self.feed_table} VALUES (?,?,?)"

    def construct_create_table_statements(self) -> list[str]:
        t = self.timeline_table
        return [
            *super().construct_create_table_statements(),
            f"CREATE TABLE IF NOT EXISTS {t} (originator_id TEXT, originator_version INTEGER, occurred_us INTEGER, "
            "recorded_us INTEGER, target_version INTEGER, corrected_occurred_us INTEGER, "
            "PRIMARY KEY (originator_id, originator_version)) WITHOUT ROWID",
            f"CREATE INDEX IF NOT EXISTS {t}_occurred ON {t} (originator_id, occurred_us, originator_version)",
            f"CREATE INDEX IF NOT EXISTS {t}_annotations ON {t} (originator_id, originator_version) "
            "WHERE target_version IS NOT NULL",
            # Each event's JSON as the feed serves it, by position (storage/event_index.py, wire/event_json.py).
            f"CREATE TABLE IF NOT EXISTS {self.feed_table} (position INTEGER PRIMARY KEY, "
            "fingerprint INTEGER NOT NULL, json BLOB NOT NULL)",
        ]

    def _insert_events(self, c: SQLiteCursor, stored_events: Sequence[StoredEvent], **kwargs: Any) -> Any:
        notification_ids = super()._insert_events(c, stored_events, **kwargs)
        rows = timeline_rows(stored_events)
        if rows:
            c.executemany(self.insert_timeline_statement, [(r[0].hex, *r[1:]) for r in rows])
        feed = feed_rows(stored_events, notification_ids)
        if feed:
            c.executemany(self.insert_feed_statement, feed)
        return notification_ids

    @contextmanager
    def _reading(self) -> Iterator[Any]:
        with self.datastore.transaction(commit=False) as c:
            c.sqlite_cursor.row_factory = None  # plain tuples: faster than sqlite3.Row for big pages
            yield c

    # ---- time travel ----------------------------------------------------------------------------

    def deal_extent(self, deal_id: UUID) -> Extent | None:
        facts = self.cut_facts(deal_id, None, None)
        return None if facts is None else facts.extent

    def insert_timeline(self, rows: Sequence[tuple[Any, ...]]) -> None:
        with self.datastore.transaction(commit=True) as c:
            c.executemany(self.insert_timeline_statement, [(r[0].hex, *r[1:]) for r in rows])

    def cut_facts(self, deal_id: UUID, as_of_us: int | None, known_us: int | None) -> CutFacts | None:
        e, t = self.events_table_name, self.timeline_table
        with self._reading() as c:
            c.execute(
                f"SELECT (SELECT MAX(originator_version) FROM {e} WHERE originator_id=:d), "
                f"(SELECT MAX(originator_version) FROM {t} WHERE originator_id=:d), o.occurred_us, o.recorded_us, "
                # the first version out of view: walks the key in order and stops there
                f"(SELECT originator_version FROM {t} WHERE originator_id=:d AND ("
                "(:k IS NOT NULL AND recorded_us > :k) OR (:a IS NOT NULL AND target_version IS NULL AND "
                "occurred_us > :a)) ORDER BY originator_version LIMIT 1), "
                f"(SELECT group_concat(target_version || ':' || corrected_occurred_us) FROM (SELECT * FROM {t} "
                f"INDEXED BY {t}_annotations WHERE originator_id=:d AND target_version IS NOT NULL "
                "AND corrected_occurred_us IS NOT NULL AND (:k IS NULL OR recorded_us <= :k) "
                "ORDER BY originator_version)) "
                f"FROM (SELECT 1) LEFT JOIN {t} AS o ON o.originator_id=:d AND o.originator_version=1",
                {"d": deal_id.hex, "a": as_of_us, "k": known_us},
            )
            last, indexed_up_to, occurred, recorded, first_out, moved = c.fetchone()
        if last is None:
            return None
        pairs = [pair.split(":") for pair in moved.split(",")] if moved else []
        return CutFacts(Extent(last, indexed_up_to, occurred, recorded), first_out,
                        [(int(v), int(us)) for v, us in pairs])

    def select_for_cut(
        self, deal_id: UUID, base: int, whole_up_to: int, as_of_us: int | None, known_us: int | None,
        moved: Sequence[int],
    ) -> list[StoredEvent]:
        e, t = self.events_table_name, self.timeline_table
        moved_list = ",".join(str(int(v)) for v in moved) or "NULL"
        with self._reading() as c:
            c.execute(
                f"SELECT originator_version, topic, state FROM {e} WHERE originator_id=:d "
                "AND originator_version > :base AND (originator_version <= :upto OR originator_version IN ("
                f"SELECT originator_version FROM {t} WHERE originator_id=:d AND originator_version > :upto "
                "AND (:k IS NULL OR recorded_us <= :k) AND (target_version IS NOT NULL OR :a IS NULL "
                f"OR occurred_us <= :a OR originator_version IN ({moved_list})))) ORDER BY originator_version",
                {"d": deal_id.hex, "base": base, "upto": whole_up_to, "a": as_of_us, "k": known_us},
            )
            return [StoredEvent(deal_id, v, topic, state) for v, topic, state in c.fetchall()]

    # ---- history and feed -----------------------------------------------------------------------

    def select_history(
        self,
        deal_id: UUID,
        *,
        after: tuple[int, int],
        limit: int,
        topics: Sequence[str] = (),
        by_occurred: bool = False,
    ) -> list[tuple[Notification, int]]:
        e, t = self.events_table_name, self.timeline_table
        params: list[Any] = [deal_id.hex, *after] if by_occurred else [deal_id.hex, after[1]]
        where = "(t.occurred_us, e.originator_version) > (?, ?)" if by_occurred else "e.originator_version > ?"
        if topics:
            where += f" AND e.topic IN ({','.join('?' * len(topics))})"
            params += list(topics)
        order = "t.occurred_us, e.originator_version" if by_occurred else "e.originator_version"
        with self._reading() as c:
            c.execute(
                f"SELECT e.rowid, e.originator_version, e.topic, e.state, t.occurred_us FROM {e} AS e "
                f"LEFT JOIN {t} AS t ON t.originator_id = e.originator_id "
                "AND t.originator_version = e.originator_version "
                f"WHERE e.originator_id = ? AND {where} ORDER BY {order} LIMIT ?",
                [*params, limit],
            )
            return [
                (Notification(id=rowid, originator_id=deal_id, originator_version=v, topic=topic, state=state), occ)
                for rowid, v, topic, state, occ in c.fetchall()
            ]

    def select_feed_rows(
        self, after: int, limit: int, topics: Sequence[str], deal_id: UUID | None, upto: int | None
    ) -> list[FeedRow]:
        where, params = "e.rowid > ?", [after]
        if upto is not None:
            where += " AND e.rowid <= ?"
            params.append(upto)
        if deal_id is not None:
            where += " AND e.originator_id = ?"
            params.append(deal_id.hex)  # type: ignore[arg-type]  # the query's parameters are of mixed types
        if topics:
            where += f" AND e.topic IN ({','.join('?' * len(topics))})"
            params += list(topics)  # type: ignore[arg-type]  # the query's parameters are of mixed types
        with self._reading() as c:
            c.execute(
                # The raw event only where its JSON is missing or stale.
                "SELECT e.rowid, f.json, iif(f.json IS NULL, e.originator_id, NULL), e.originator_version, e.topic, "
                f"iif(f.json IS NULL, e.state, NULL) FROM {self.events_table_name} AS e "
                f"LEFT JOIN {self.feed_table} AS f ON f.position = e.rowid AND f.fingerprint = ? "
                f"WHERE {where} ORDER BY e.rowid LIMIT ?",
                [FINGERPRINT, *params, limit],
            )
            return [row if row[1] is not None else (row[0], None, _dashed(row[2]), *row[3:]) for row in c.fetchall()]

    def select_feed_json(self, after: int, limit: int) -> list[tuple[int, bytes, int]]:
        with self._reading() as c:
            c.execute(f"SELECT position, json, fingerprint FROM {self.feed_table} WHERE position > ? "
                      "ORDER BY position LIMIT ?", (after, limit))
            return c.fetchall()

    def count_events(self, after: int, upto: int, cap: int) -> int:
        with self._reading() as c:
            c.execute(f"SELECT count(*) FROM (SELECT 1 FROM {self.events_table_name} WHERE rowid > ? AND rowid <= ? "
                      "LIMIT ?)", (after, upto, cap))
            return c.fetchone()[0]

    def replace_feed_json(self, rows: Sequence[tuple[int, int, bytes]]) -> None:
        with self.datastore.transaction(commit=True) as c:
            c.executemany(f"INSERT OR REPLACE INTO {self.feed_table} VALUES (?,?,?)", rows)
