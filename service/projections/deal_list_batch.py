"""The deal list in bulk: catch up or rebuild from the log a page at a time, one transaction per page.

The library's runner writes one transaction per event (~2,000 events/s). Here a page of notifications is folded in
memory and each deal touched is written once, with one tracking row for the whole page.

A rebuild is safe while the service runs: it fills shadow tables from the log (nothing live is touched), indexes
them, catches up with what was written meanwhile, and then, in one transaction holding the tracking row's lock
(which the live projection takes first for every write), writes the last few events, swaps the shadow tables in
and sets the position. The live projection then finds the position past the events it had in hand and skips them.
"""

from __future__ import annotations

import sqlite3
import threading
from collections.abc import Callable, Collection, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from datetime import UTC, datetime
from typing import cast
from uuid import UUID

import psycopg
from eventsourcing.persistence import InterfaceError, Notification, OperationalError, Tracking

from domain import DealEvent
from domain.events import DealOpened, PartyJoined, RoleAssigned, RoleRevoked
from service.application import DealsApplication
from service.projections.deal_list_view import DealListView, Skip
from service.projections.deal_state import DealRow, Followed, followed
from service.projections.faults import PoisonedEvent
from service.write.deal_states import DealStates, Following

MEMBERSHIP = (DealOpened, PartyJoined, RoleAssigned, RoleRevoked)
NAME = "deal_list"
# A database that is down or busy is not the event's fault: those errors are retried as they are.
TRANSIENT = (OperationalError, InterfaceError, psycopg.OperationalError, psycopg.InterfaceError,
             sqlite3.OperationalError)
DEFAULT_PAGE = 5_000
Progress = Callable[[int, int], None]  # (events in the page, position reached)
Writer = Callable[[Sequence[DealRow], Collection[UUID]], None]


def fold_page(
    app: DealsApplication, deals: Following, notifications: Sequence[Notification],
    skipped: Collection[UUID] = (),
) -> tuple[list[DealRow], set[UUID]]:
    """The rows of the deals these notifications touched, as they stand after the page, and whose parties moved.
    The events of `skipped` deals (left out of the list) are passed over."""
    touched: dict[UUID, tuple[Followed, int]] = {}
    parties_of: set[UUID] = set()
    for notification in notifications:
        if notification.originator_id in skipped:
            continue
        event = app.mapper.to_domain_event(notification)
        if not isinstance(event, DealEvent):
            continue
        now = followed(deals.after(event), event, notification.id)
        before = touched.get(event.originator_id)
        if before is not None and before[0].opened_at is not None:  # opened earlier in this page
            now = Followed(now.deal, before[0].opened_at, before[0].opened_position)
        touched[event.originator_id] = (now, notification.id)
        if isinstance(event, MEMBERSHIP):
            parties_of.add(event.originator_id)
    return [followed.row(position) for followed, position in touched.values()], parties_of


class LogReader:
    """Pages through the log after a position."""

    def __init__(self, app: DealsApplication, deals: Following, page: int = DEFAULT_PAGE,
                 skipped: Collection[UUID] = ()) -> None:
        self.app = app
        self.deals = deals
        self.page = page
        self.skipped = skipped

    def head(self) -> int:
        return self.app.recorder.max_notification_id() or 0

    def pages(self, position: int) -> Sequence[Notification]:
        return self.app.recorder.select_notifications(start=position, limit=self.page, inclusive_of_start=False)

    def drain(self, position: int, write: Writer, progress: Progress | None = None, overlap: bool = False) -> int:
        """Fold and write every page after `position` until the log's end; the position reached.

        The next page is read while this one is folded (the database works while Python folds). With `overlap`,
        each page is also written while the next is folded, in order, one write at a time: only for writers that
        open their own transaction per call."""
        with ThreadPoolExecutor(max_workers=2, thread_name_prefix="deal-list-drain") as pool:
            reading = pool.submit(self.pages, position)
            writing: Future[None] | None = None
            while True:
                notifications = reading.result()
                if not notifications:
                    break
                full = len(notifications) == self.page
                if full:
                    reading = pool.submit(self.pages, notifications[-1].id)
                rows, parties_of = fold_page(self.app, self.deals, notifications, self.skipped)
                if writing is not None:
                    writing.result()
                    writing = None
                if overlap:
                    writing = pool.submit(write, rows, parties_of)
                else:
                    write(rows, parties_of)
                position = notifications[-1].id
                if progress:
                    progress(len(notifications), position)
                if not full:
                    break
            if writing is not None:
                writing.result()
        return position


def catch_up(app: DealsApplication, view: DealListView, deals: Following, page: int = DEFAULT_PAGE,
             progress: Progress | None = None, stop: threading.Event | None = None) -> int:
    """Bring the live tables from their position to the log's end (or until `stop`), a page per transaction.

    A page that fails is tried again one event per transaction, so that the failure names its event: that one
    raises PoisonedEvent, with everything before it written."""
    skipped = view.skipped_deals()
    reader = LogReader(app, deals, page, skipped)
    position = view.max_tracking_id(app.name) or 0
    while stop is None or not stop.is_set():
        notifications = reader.pages(position)
        if not notifications:
            return position
        try:
            written = _write_page(app, view, deals, notifications, skipped)
        except Exception:
            written = all(_write_page(app, view, deals, [one], skipped, poisoned=True) for one in notifications)
        if not written:
            return view.max_tracking_id(app.name) or 0  # someone else is ahead: leave it to them
        position = notifications[-1].id
        if progress:
            progress(len(notifications), position)
    return position


def _write_page(app: DealsApplication, view: DealListView, deals: Following, notifications: Sequence[Notification],
                skipped: Collection[UUID], poisoned: bool = False) -> bool:
    try:
        rows, parties_of = fold_page(app, deals, notifications, skipped)
        return view.write(Tracking(app.name, notifications[-1].id), rows, parties_of)
    except Exception as error:
        if poisoned and not isinstance(error, TRANSIENT):
            raise PoisonedEvent(NAME, notifications[0].id, cast(UUID, notifications[0].originator_id), error) from error
        raise


def skip_deals_at(app: DealsApplication, view: DealListView, positions: Collection[int]) -> list[Skip]:
    """Leave out of the list, from now on, the deal of the event at each position; recorded in the view."""
    skips = []
    for position in sorted(set(positions)):
        found = app.recorder.select_notifications(start=position, limit=1)
        if not found or found[0].id != position:
            raise ValueError(f"the log has no event at position {position}")
        event = f"{found[0].topic.rpartition(':')[2]} at version {found[0].originator_version}"
        skip = Skip(cast(UUID, found[0].originator_id), position, f"{event}; rebuild --skip-position {position}",
                    datetime.now(UTC))
        view.record_skip(skip)
        skips.append(skip)
    return skips


def rebuild(app: DealsApplication, view: DealListView, page: int = DEFAULT_PAGE, progress: Progress | None = None,
            capacity: int = 50_000) -> int:
    """Rebuild the view from the whole log into shadow tables and swap them in; the position reached. The deals
    recorded as skipped (skip_deals_at) are left out."""
    # Deal states of its own: a whole log's deals would crowd out the ones the service is using.
    deals = Following().attach(app, DealStates(capacity))
    reader = LogReader(app, deals, page, view.skipped_deals())
    view.prepare_shadow()

    def write_shadow(rows: Sequence[DealRow], parties_of: Collection[UUID]) -> None:
        with view.shadow_writer() as write:
            write(rows, parties_of)

    position = reader.drain(0, write_shadow, progress, overlap=True)
    view.index_shadow()
    position = reader.drain(position, write_shadow, progress, overlap=True)  # what was written while indexing
    swapped = view.swap_in_shadow(lambda write: reader.drain(position, write, progress) or None)
    return swapped or 0
