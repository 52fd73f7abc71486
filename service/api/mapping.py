"""Where a request meets the domain: request bodies become deal commands (their responses are the documents of
service/wire/documents.py)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from uuid import uuid4

from domain.commands import Command, CorrectEvent, JoinParty, OpenDeal
from domain.errors import InvalidValue
from domain.values import Source
from service.api import requests
from service.api import schemas as s
from service.api.schemas import Schema


def now() -> datetime:
    return datetime.now(UTC)


def latest_occurrence(now: datetime, max_clock_skew_seconds: float) -> datetime:
    """The latest occurred_at a write may carry: what has happened by now, give or take a client's clock skew."""
    return now + timedelta(seconds=max_clock_skew_seconds)


def require_happened(occurred_at: object, latest: datetime, field: str = "occurred_at") -> None:
    """An event has happened: an occurred_at ahead of the server's clock (beyond the skew allowed) is refused, or
    one dated in 9999 would refuse every later change as out of order. Deadlines are not occurrences."""
    when = occurred_at
    if isinstance(when, str):
        try:
            when = datetime.fromisoformat(when)
        except ValueError:
            return  # not a time at all: the domain says so
    if isinstance(when, datetime) and when.tzinfo is not None and when > latest:
        raise InvalidValue(
            field, f"is ahead of the server's clock ({latest.isoformat()} at the latest); an event must have happened"
        )


# ---- inbound ----------------------------------------------------------------------------------------------


def to_opening(body: s.DealCreate, default_time: datetime) -> tuple[OpenDeal, list[JoinParty]]:
    """The command that opens the deal, and those that bring in its parties (at the same time, from the same
    sources)."""
    occurred_at = body.occurred_at or default_time
    sources: tuple[Source, ...] = requests.domain_value(body.sources)
    opening = OpenDeal(
        deal_id=body.deal_id or uuid4(),
        title=body.title,
        summary=body.summary,
        requires_ratification=body.requires_ratification,
        tags=tuple(body.tags),
        predecessor_deal_id=str(body.predecessor_deal_id) if body.predecessor_deal_id else None,
        occurred_at=occurred_at,
        sources=sources,
    )
    parties = [
        JoinParty(party_id=p.party_id, name=p.name, kind=p.kind, roles=tuple(dict.fromkeys(p.roles)),
                  occurred_at=occurred_at, sources=sources)
        for p in body.parties
    ]
    return opening, parties


def to_command(body: Schema, default_time: datetime, latest: datetime | None = None, where: str = "") -> Command:
    """The command a posted event asks for; with `latest`, one that is dated (or corrects a date) after it is
    refused, its field named with the prefix `where` (an item of a batch)."""
    command = requests.to_command(body, default_time)
    if latest is not None:
        require_happened(command.occurred_at, latest, f"{where}occurred_at")
        if isinstance(command, CorrectEvent):
            corrected = command.corrected_fields.get("occurred_at")
            require_happened(corrected, latest, f"{where}corrected_fields.occurred_at")
    return command
