"""A deal's history a page at a time: filtered by event type, ordered by version or by when things happened,
each event with its global position in the feed of all deals."""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Literal
from uuid import UUID

from eventsourcing.utils import get_topic

from domain import EVENT_CLASSES, DealEvent
from domain.errors import InvalidValue
from service.application import DealNotFound
from service.replay.timetravel import event_index_recorder, indexed_extent

if TYPE_CHECKING:
    from service.application import DealsApplication

Order = Literal["version", "occurred_at"]
_OCCURRED_CURSOR = re.compile(r"^(-?[0-9]{1,18}):([0-9]{1,18})$")
_VERSION_CURSOR = re.compile(r"^[0-9]{1,18}$")
_BEFORE_ALL = -(2**62)


@dataclass(frozen=True)
class HistoryPage:
    events: list[tuple[DealEvent, int]]  # each with its global position
    next_cursor: str | None
    next_after_version: int | None


def topics_of(types: Sequence[str]) -> list[str]:
    """The stored topics of these event types; an unknown type is a 422 naming the `type` parameter."""
    unknown = sorted(set(types) - set(EVENT_CLASSES))
    if unknown:
        known = ", ".join(sorted(EVENT_CLASSES))
        raise InvalidValue("type", f"unknown event type {', '.join(unknown)}; known: {known}")
    return [get_topic(EVENT_CLASSES[t]) for t in dict.fromkeys(types)]


def history_page(
    app: DealsApplication,
    deal_id: UUID,
    *,
    limit: int,
    types: Sequence[str] = (),
    order: Order = "version",
    after_version: int = 0,
    cursor: str | None = None,
) -> HistoryPage:
    """One page of the deal's history, with `next_cursor` (and `next_after_version` in version order)."""
    recorder = event_index_recorder(app)
    by_occurred = order == "occurred_at"
    after = _after(cursor, by_occurred, after_version)
    if by_occurred:
        indexed_extent(app, recorder, deal_id)  # events recorded before the index existed get their rows first
    rows = recorder.select_history(deal_id, after=after, limit=limit, topics=topics_of(types), by_occurred=by_occurred)
    if not rows and recorder.deal_extent(deal_id) is None:
        raise DealNotFound(deal_id)
    events = [(app.mapper.to_domain_event(n), n.id) for n, _ in rows]
    full = len(rows) == limit
    last_version = rows[-1][0].originator_version if rows else None
    if not full:
        next_cursor = None
    elif by_occurred:
        next_cursor = f"{rows[-1][1]}:{last_version}"
    else:
        next_cursor = str(last_version)
    return HistoryPage(events, next_cursor, last_version if full and not by_occurred else None)  # type: ignore[arg-type]  # the page's events are DealEvents; the library types them as a protocol


def _after(cursor: str | None, by_occurred: bool, after_version: int) -> tuple[int, int]:
    if cursor is None:
        return (_BEFORE_ALL, after_version)
    match = (_OCCURRED_CURSOR if by_occurred else _VERSION_CURSOR).match(cursor)
    if match is None:
        order = "occurred_at" if by_occurred else "version"
        raise InvalidValue("cursor", f"is not a cursor of this history in {order} order; pass the next_cursor "
                                     "of the previous page, with the same order")
    if by_occurred:
        return (int(match.group(1)), int(match.group(2)))
    return (_BEFORE_ALL, int(cursor))
