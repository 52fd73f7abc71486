"""The timeline index and replay queries on PostgreSQL.

The index rows are inserted after the events, inside the library's insert transaction (which holds the events
table's EXCLUSIVE lock), so they commit or roll back with the events.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from typing import Any
from uuid import UUID

from eventsourcing.persistence import Notification, StoredEvent
from eventsourcing.postgres import PostgresApplicationRecorder
from psycopg import Cursor
from psycopg.rows import DictRow, tuple_row
from psycopg.sql import SQL, Composable, Composed, Identifier

from service.storage.event_index import CutFacts, EventIndexRecorder, Extent, FeedRow, feed_rows, timeline_rows
from service.storage.head_notices import HeadNotifying
from service.storage.idempotent_insert import IdempotentInsert
from service.storage.pg_tables import SerialTableCreation
from service.wire.event_json import FINGERPRINT


class IndexedPostgresApplicationRecorder(
    SerialTableCreation, HeadNotifying, IdempotentInsert, EventIndexRecorder, PostgresApplicationRecorder
):
    def __init__(self, datastore: Any, *, events_table_name: str = "stored_events") -> None:
        if datastore.enable_db_functions:
            # The library's insert function skips both the table lock (so the feed could pass over an event that
            # commits later with a lower position) and the hooks that write the timeline index.
            raise ValueError("POSTGRES_ENABLE_DB_FUNCTIONS must be off: the feed and time travel rely on the "
                             "events table's lock and on the insert hooks")
        super().__init__(datastore, events_table_name=events_table_name)
        self.timeline_table = events_table_name.replace("events", "timeline")
        self.feed_table = events_table_name.replace("events", "feed")
        self.check_identifier_length(self.timeline_table)
        self.check_identifier_length(self.feed_table)
        self.events = Identifier(self.datastore.schema, self.events_table_name)
        self.timeline = Identifier(self.datastore.schema, self.timeline_table)
        self.feed = Identifier(self.datastore.schema, self.feed_table)
        self.sql_create_statements.append(
            SQL(
                "CREATE TABLE IF NOT EXISTS {t} (originator_id {id_type} NOT NULL, originator_version bigint NOT NULL, "
                "occurred_us bigint, recorded_us bigint, target_version bigint, corrected_occurred_us bigint, "
                "PRIMARY KEY (originator_id, originator_version))"
            ).format(t=self.timeline, id_type=Identifier(self.datastore.originator_id_type))
        )
        self.sql_create_statements.append(
            SQL("CREATE INDEX IF NOT EXISTS {i} ON {t} (originator_id, occurred_us, originator_version)").format(
                i=Identifier(f"{self.timeline_table}_occurred_idx"), t=self.timeline
            )
        )
        self.sql_create_statements.append(
            SQL("CREATE INDEX IF NOT EXISTS {i} ON {t} (originator_id, originator_version) "
                "WHERE target_version IS NOT NULL").format(i=Identifier(f"{self.timeline_table}_annotations_idx"),
                                                           t=self.timeline)
        )
        # Each event's JSON as the feed serves it, by position (storage/event_index.py, wire/event_json.py).
        self.sql_create_statements.append(
            SQL("CREATE TABLE IF NOT EXISTS {f} (position bigint PRIMARY KEY, fingerprint integer NOT NULL, "
                "json bytea NOT NULL)").format(f=self.feed)
        )
        self.insert_timeline_statement = SQL(
            "INSERT INTO {t} SELECT * FROM unnest(%s::{id_type}[], %s::bigint[], %s::bigint[], %s::bigint[], "
            "%s::bigint[], %s::bigint[]) ON CONFLICT DO NOTHING"
        ).format(t=self.timeline, id_type=Identifier(self.datastore.originator_id_type))
        # Both in one round trip, inside the events' transaction.
        self.insert_timeline_and_feed_statement = SQL(
            "WITH timeline AS ({timeline}) "
            "INSERT INTO {f} SELECT * FROM unnest(%s::bigint[], %s::integer[], %s::bytea[]) ON CONFLICT DO NOTHING"
        ).format(timeline=self.insert_timeline_statement, f=self.feed)

    def _fetch_ids_after_insert_events(
        self, curs: Cursor[DictRow], stored_events: Sequence[StoredEvent], **kwargs: Any
    ) -> Sequence[int] | None:
        notification_ids = super()._fetch_ids_after_insert_events(curs, stored_events, **kwargs)
        rows = timeline_rows(stored_events)
        feed = feed_rows(stored_events, notification_ids)
        if rows and feed:
            with curs.connection.cursor() as index_cursor:
                index_cursor.execute(self.insert_timeline_and_feed_statement, _columns(rows) + _columns(feed))
        elif rows:
            with curs.connection.cursor() as index_cursor:
                index_cursor.execute(self.insert_timeline_statement, _columns(rows))
        return notification_ids

    @contextmanager
    def _reading(self) -> Iterator[Cursor[Any]]:
        with self.datastore.get_connection() as conn, conn.cursor(row_factory=tuple_row) as curs:
            yield curs

    def _query(self, statement: Composed | SQL, params: Any) -> list[tuple[Any, ...]]:
        with self._reading() as curs:
            curs.execute(statement, params)
            return curs.fetchall()

    # ---- time travel ----------------------------------------------------------------------------

    def deal_extent(self, deal_id: UUID) -> Extent | None:
        facts = self.cut_facts(deal_id, None, None)
        return None if facts is None else facts.extent

    def insert_timeline(self, rows: Sequence[tuple[Any, ...]]) -> None:
        with self.datastore.transaction(commit=True) as curs:
            curs.execute(self.insert_timeline_statement, _columns(rows))

    def cut_facts(self, deal_id: UUID, as_of_us: int | None, known_us: int | None) -> CutFacts | None:
        statement = SQL(
            "SELECT (SELECT MAX(originator_version) FROM {e} WHERE originator_id = %(d)s), "
            "(SELECT MAX(originator_version) FROM {t} WHERE originator_id = %(d)s), o.occurred_us, o.recorded_us, "
            # the first version out of view: walks the key in order and stops there
            "(SELECT originator_version FROM {t} WHERE originator_id = %(d)s AND ("
            "(%(k)s::bigint IS NOT NULL AND recorded_us > %(k)s) OR (%(a)s::bigint IS NOT NULL AND "
            "target_version IS NULL AND occurred_us > %(a)s)) ORDER BY originator_version LIMIT 1), "
            "(SELECT array_agg(ARRAY[target_version, corrected_occurred_us] ORDER BY originator_version) FROM {t} "
            "WHERE originator_id = %(d)s AND target_version IS NOT NULL AND corrected_occurred_us IS NOT NULL "
            "AND (%(k)s::bigint IS NULL OR recorded_us <= %(k)s)) "
            "FROM (SELECT 1) AS one LEFT JOIN {t} AS o ON o.originator_id = %(d)s AND o.originator_version = 1"
        ).format(e=self.events, t=self.timeline)
        last, indexed_up_to, occurred, recorded, first_out, moved = self._query(
            statement, {"d": deal_id, "a": as_of_us, "k": known_us})[0]
        if last is None:
            return None
        return CutFacts(Extent(last, indexed_up_to, occurred, recorded), first_out,
                        [(v, us) for v, us in moved or ()])

    def select_for_cut(
        self, deal_id: UUID, base: int, whole_up_to: int, as_of_us: int | None, known_us: int | None,
        moved: Sequence[int],
    ) -> list[StoredEvent]:
        statement = SQL(
            "SELECT originator_version, topic, state FROM {e} WHERE originator_id = %(d)s "
            "AND originator_version > %(base)s AND (originator_version <= %(upto)s OR originator_version IN ("
            "SELECT originator_version FROM {t} WHERE originator_id = %(d)s AND originator_version > %(upto)s "
            "AND (%(k)s::bigint IS NULL OR recorded_us <= %(k)s) AND (target_version IS NOT NULL "
            "OR %(a)s::bigint IS NULL OR occurred_us <= %(a)s OR originator_version = ANY(%(m)s)))) "
            "ORDER BY originator_version"
        ).format(e=self.events, t=self.timeline)
        params = {"d": deal_id, "base": base, "upto": whole_up_to, "a": as_of_us, "k": known_us, "m": list(moved)}
        return [StoredEvent(deal_id, v, topic, bytes(state)) for v, topic, state in self._query(statement, params)]

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
        where: Composable = (
            SQL("(t.occurred_us, e.originator_version) > (%(o)s, %(v)s)")
            if by_occurred
            else SQL("e.originator_version > %(v)s")
        )
        if topics:
            where += SQL(" AND e.topic = ANY(%(topics)s)")
        order = SQL("t.occurred_us, e.originator_version" if by_occurred else "e.originator_version")
        statement = SQL(
            "SELECT e.notification_id, e.originator_version, e.topic, e.state, t.occurred_us FROM {e} AS e "
            "LEFT JOIN {t} AS t ON t.originator_id = e.originator_id AND t.originator_version = e.originator_version "
            "WHERE e.originator_id = %(d)s AND {where} ORDER BY {order} LIMIT %(limit)s"
        ).format(e=self.events, t=self.timeline, where=where, order=order)
        params = {"d": deal_id, "o": after[0], "v": after[1], "topics": list(topics), "limit": limit}
        return [
            (Notification(id=n, originator_id=deal_id, originator_version=v, topic=topic, state=bytes(state)), occ)
            for n, v, topic, state, occ in self._query(statement, params)
        ]

    def select_feed_rows(
        self, after: int, limit: int, topics: Sequence[str], deal_id: UUID | None, upto: int | None
    ) -> list[FeedRow]:
        where: Composable = SQL("e.notification_id > %(after)s")
        if upto is not None:
            where += SQL(" AND e.notification_id <= %(upto)s")
        if deal_id is not None:
            where += SQL(" AND e.originator_id = %(d)s")
        if topics:
            where += SQL(" AND e.topic = ANY(%(topics)s)")
        statement = SQL(
            # The raw event only where its JSON is missing or stale. (The bound on f.position keeps the merge
            # join from reading the feed table from its start.)
            "SELECT e.notification_id, f.json, CASE WHEN f.json IS NULL THEN e.originator_id::text END, "
            "e.originator_version, e.topic, CASE WHEN f.json IS NULL THEN e.state END FROM {e} AS e "
            "LEFT JOIN {f} AS f ON f.position = e.notification_id AND f.position > %(after)s "
            "AND f.fingerprint = %(fingerprint)s WHERE {where} ORDER BY e.notification_id LIMIT %(limit)s"
        ).format(e=self.events, f=self.feed, where=where)
        params = {"after": after, "upto": upto, "d": deal_id, "topics": list(topics), "limit": limit,
                  "fingerprint": FINGERPRINT}
        return self._binary_query(statement, params)

    def select_feed_json(self, after: int, limit: int) -> list[tuple[int, bytes, int]]:
        # The fingerprint is checked by the caller rather than in the query: without statistics yet (a fresh
        # table), a filter on it makes the planner expect few rows, and sort the whole rest of the table per page.
        statement = SQL(
            "SELECT position, json, fingerprint FROM {f} WHERE position > %s ORDER BY position LIMIT %s"
        ).format(f=self.feed)
        return self._binary_query(statement, (after, limit))

    def count_events(self, after: int, upto: int, cap: int) -> int:
        statement = SQL(
            "SELECT count(*) FROM (SELECT 1 FROM {e} WHERE notification_id > %s AND notification_id <= %s "
            "LIMIT %s) AS span"
        ).format(e=self.events)
        return self._query(statement, (after, upto, cap))[0][0]

    def _binary_query(self, statement: Composed | SQL, params: Any) -> list[Any]:
        # Binary results: bytea arrives as bytes without hex decoding.
        with self.datastore.get_connection() as conn, conn.cursor(row_factory=tuple_row, binary=True) as curs:
            curs.execute(statement, params)
            return curs.fetchall()

    def replace_feed_json(self, rows: Sequence[tuple[int, int, bytes]]) -> None:
        statement = SQL(
            "INSERT INTO {f} SELECT * FROM unnest(%s::bigint[], %s::integer[], %s::bytea[]) ON CONFLICT (position) "
            "DO UPDATE SET fingerprint = excluded.fingerprint, json = excluded.json"
        ).format(f=self.feed)
        with self.datastore.transaction(commit=True) as curs:
            curs.execute(statement, _columns(rows))


def _columns(rows: Sequence[tuple[Any, ...]]) -> list[list[Any]]:
    """Rows as one array per column, for unnest()."""
    return [list(column) for column in zip(*rows, strict=True)]
