"""The timeline index: one small row per deal event — (deal, version, occurred_at, recorded_at, what it annotates)
— written by the application recorder in the same transaction as the events themselves, whatever calls save.

Time travel by as_of/known_at reads it to find the last version wholly before the cut (so it can start from a
snapshot) and the few later events that are still in view, instead of decoding a whole history. The mapper puts
the index fields on each stored event, because the recorder sees only (possibly encrypted) bytes.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any
from uuid import UUID

from eventsourcing.persistence import Mapper, Notification, StoredEvent

from domain.cuts import corrected_occurred_at, target_of
from domain.events import DealEvent
from service.wire.event_json import FINGERPRINT, event_body, with_leaf_hash, with_position

EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
MICROSECOND = timedelta(microseconds=1)


def to_us(moment: datetime) -> int:
    """Microseconds since the epoch, exactly (floats would round)."""
    return (moment - EPOCH) // MICROSECOND


def from_us(us: int) -> datetime:
    return EPOCH + timedelta(microseconds=us)


@dataclass(frozen=True)
class IndexedStoredEvent(StoredEvent):
    """A stored event that also carries its timeline-index row and its feed JSON (None for snapshots and
    non-deal events; no feed JSON when events are encrypted at rest)."""

    timeline: tuple[int, int, int | None, int | None] | None = None
    feed_body: bytes | None = None


class EventIndexMapper(Mapper[UUID]):
    """The library's mapper (transcoder, compressor, cipher all as configured), plus the index fields and the
    event's JSON for the global feed (which would be plain text beside encrypted events: not with a cipher)."""

    def to_stored_event(self, domain_event: Any) -> StoredEvent:
        stored = super().to_stored_event(domain_event)
        if not isinstance(domain_event, DealEvent):
            return stored
        row = index_row(domain_event)[2:]
        body = event_body(domain_event) if self.cipher is None else None
        return IndexedStoredEvent(stored.originator_id, stored.originator_version, stored.topic, stored.state, row,
                                  body)


def index_row(event: DealEvent) -> tuple[Any, ...]:
    """(deal_id, version, occurred_us, recorded_us, target_version, corrected_occurred_us) of one event."""
    moved = corrected_occurred_at(event)
    return (
        event.originator_id,
        event.originator_version,
        to_us(event.occurred_at),
        to_us(event.timestamp),
        target_of(event),
        None if moved is None else to_us(moved),
    )


def timeline_rows(stored_events: Sequence[StoredEvent]) -> list[tuple[Any, ...]]:
    """(deal_id, version, occurred_us, recorded_us, target_version, corrected_occurred_us) per indexed event."""
    return [
        (s.originator_id, s.originator_version, *s.timeline)
        for s in stored_events
        if isinstance(s, IndexedStoredEvent) and s.timeline is not None
    ]


def feed_rows(stored_events: Sequence[StoredEvent], positions: Sequence[int] | None) -> list[tuple[int, int, bytes]]:
    """(position, fingerprint, JSON) of each event that carries its feed JSON, now that its position is known."""
    if not positions:
        return []
    return [
        (position, FINGERPRINT, with_leaf_hash(with_position(s.feed_body, position)))
        for s, position in zip(stored_events, positions, strict=True)
        if isinstance(s, IndexedStoredEvent) and s.feed_body is not None
    ]


@dataclass(frozen=True)
class Extent:
    """How far a deal's log and its index go, and when the deal was opened (in the world and in the service)."""

    last_version: int
    indexed_up_to: int | None  # the last version with an index row
    opened_occurred_us: int | None  # None: the opening has no index row
    opened_recorded_us: int | None

    @property
    def complete(self) -> bool:
        # Rows are written with their events, so only a log older than the index can lack some: a prefix of it.
        return self.opened_occurred_us is not None and self.indexed_up_to == self.last_version


@dataclass(frozen=True)
class CutFacts:
    extent: Extent
    first_out_of_view: int | None  # the lowest version out of view by its own times (occurred, recorded)
    moved: list[tuple[int, int]]  # (fact version, corrected occurred_us) of the corrections known, in order


# A feed row: (position, the event's JSON, ...) or, where that was not stored with the current fingerprint,
# (position, None, deal id as text with dashes, version, topic, stored state).
FeedRow = tuple[Any, ...]


class EventIndexRecorder(ABC):
    """What the replay needs from the application recorder, beyond the library's own queries."""

    timeline_table: str

    @abstractmethod
    def deal_extent(self, deal_id: UUID) -> Extent | None:
        """None when the deal has no events."""

    @abstractmethod
    def insert_timeline(self, rows: Sequence[tuple[Any, ...]]) -> None:
        """Add index rows that are missing (a log recorded before the index existed); existing rows stay."""

    @abstractmethod
    def cut_facts(self, deal_id: UUID, as_of_us: int | None, known_us: int | None) -> CutFacts | None:
        """What the index says about a cut, in one query (None when the deal has no events)."""

    @abstractmethod
    def select_for_cut(
        self, deal_id: UUID, base: int, whole_up_to: int, as_of_us: int | None, known_us: int | None,
        moved: Sequence[int],
    ) -> list[StoredEvent]:
        """The deal's events after `base` up to `whole_up_to`, then the later ones that may be in view: known
        facts that happened by as_of (or whose occurred_at was corrected: `moved`) and known annotations."""

    @abstractmethod
    def select_history(
        self,
        deal_id: UUID,
        *,
        after: tuple[int, int],
        limit: int,
        topics: Sequence[str] = (),
        by_occurred: bool = False,
    ) -> list[tuple[Notification, int]]:
        """A page of the deal's events with their global positions and occurred_us, after the cursor
        (version order: (0, version); occurred order: (occurred_us, version))."""

    def select_feed(
        self,
        after: int,
        limit: int,
        topics: Sequence[str] = (),
        deal_id: UUID | None = None,
        upto: int | None = None,
    ) -> list[FeedRow]:
        """Events of every deal after the global position (and up to `upto`), in commit order: each with its stored
        JSON where that has the current fingerprint, else as its raw stored row."""
        if not topics and deal_id is None and upto is None:
            rows = self._stored_feed_page(after, limit)
            if rows is not None:
                return rows
        return self.select_feed_rows(after, limit, topics, deal_id, upto)

    def _stored_feed_page(self, after: int, limit: int) -> list[FeedRow] | None:
        """The page from the feed table alone, when it holds current JSON for every event of the page's span
        (None otherwise: the events table is joined then). A JSON row commits with its event, and a position only
        commits once every lower one has committed or rolled back (one writer at a time on SQLite; the events
        table's lock on PostgreSQL). So when the span up to a full page's last position holds as many events as
        the page, none of them lacks its JSON. A short page's span is open-ended: an event committed since the
        page was read makes the counts differ, and the page is read again with the join."""
        rows = self.select_feed_json(after, limit)
        if any(row[2] != FINGERPRINT for row in rows):
            return None
        end = rows[-1][0] if len(rows) == limit else 2**63 - 1
        return rows if self.count_events(after, end, limit + 1) == len(rows) else None

    @abstractmethod
    def select_feed_json(self, after: int, limit: int) -> list[tuple[int, bytes, int]]:
        """(position, JSON, fingerprint) from the feed table after the position, in order."""

    @abstractmethod
    def count_events(self, after: int, upto: int, cap: int) -> int:
        """How many events have positions in (after, upto], counting at most `cap`."""

    @abstractmethod
    def select_feed_rows(
        self, after: int, limit: int, topics: Sequence[str], deal_id: UUID | None, upto: int | None
    ) -> list[FeedRow]:
        """select_feed through the events table, joined to the feed table for the JSON where it is current."""

    @abstractmethod
    def replace_feed_json(self, rows: Sequence[tuple[int, int, bytes]]) -> None:
        """Store (position, fingerprint, JSON) rows, replacing what is stored for those positions (a backfill)."""
