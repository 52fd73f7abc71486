"""A deal's replay for the terminal (`deals replay`): the events in view and the state they fold to."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any
from uuid import UUID

from domain import DealEvent
from domain.cuts import Cut, in_view, occurred_overrides
from domain.errors import InvalidValue
from service.replay.timetravel import deal_at
from service.wire import documents

if TYPE_CHECKING:
    from service.application import DealsApplication


@dataclass(frozen=True)
class ReplayReport:
    events: list[dict[str, Any]]  # as GET /deals/{id}/events shows them, in version order
    deal: dict[str, Any]  # as GET /deals/{id} shows it
    skipped: list[int]  # versions in view that refer to something out of view


def replay_report(
    app: DealsApplication,
    deal_id: UUID,
    version: int | None = None,
    as_of: datetime | None = None,
    known_at: datetime | None = None,
) -> ReplayReport:
    replay = deal_at(app, deal_id, version=version, as_of=as_of, known_at=known_at)
    events: list[DealEvent] = list(app.events.get(deal_id, lte=version))  # type: ignore[arg-type]  # the log's events are DealEvents; the library types them as a protocol
    if as_of is not None or known_at is not None:
        cut = Cut(as_of, known_at)
        events = in_view(events, cut, occurred_overrides(events, cut))
    return ReplayReport(
        [documents.jsonable(documents.event_out(e)) for e in events],
        documents.jsonable(documents.deal_out(replay.deal)),
        replay.skipped,
    )


def parse_time(text: str | None, name: str) -> datetime | None:
    """An ISO 8601 time with its offset, as the API takes it."""
    if text is None:
        return None
    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        raise InvalidValue(name, f"must be an ISO 8601 time such as 2025-02-14T23:59:59+01:00, not {text!r}") from None
    if moment.tzinfo is None:
        raise InvalidValue(name, "must include a timezone offset, e.g. +01:00 or Z")
    return moment
