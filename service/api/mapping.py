"""The one place where the public contract meets the domain: request bodies become deal commands, and
deals and their events become response bodies."""

from __future__ import annotations

from dataclasses import fields, is_dataclass
from datetime import UTC, datetime, timedelta
from enum import Enum
from typing import Any
from uuid import UUID, uuid4

from domain import Deal, DealEvent
from domain.commands import Command, CorrectEvent, JoinParty, OpenDeal
from domain.errors import InvalidValue
from domain.values import Source
from service.api import requests
from service.api import schemas as s
from service.api.event_json import ENVELOPE_FIELDS, event_id, event_leaf_hash
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
    sources = tuple(Source(src.url, src.publisher, src.published_at) for src in body.sources)
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


# ---- outbound ---------------------------------------------------------------------------------------------


def jsonable(value: Any) -> Any:
    """Domain values as plain JSON: enums by value, value objects as objects, times in ISO 8601."""
    if isinstance(value, Enum):
        return value.value
    if isinstance(value, datetime):
        return value.isoformat()
    if isinstance(value, UUID):
        return str(value)
    if isinstance(value, (list, tuple)):
        return [jsonable(v) for v in value]
    if isinstance(value, dict):
        return {k: jsonable(v) for k, v in value.items()}
    if is_dataclass(value) and not isinstance(value, type):
        return {f.name: jsonable(getattr(value, f.name)) for f in fields(value)}
    return value


def event_data(event: DealEvent) -> dict[str, Any]:
    return {k: jsonable(v) for k, v in vars(event).items() if k not in ENVELOPE_FIELDS}


def event_out(event: DealEvent, position: int | None = None) -> dict[str, Any]:
    return {
        "event_id": event_id(event.originator_id, event.originator_version),
        "deal_id": event.originator_id,
        "version": event.originator_version,
        "position": position,
        "type": event.type_name,
        "occurred_at": event.occurred_at,
        "recorded_at": event.timestamp,
        "data": event_data(event),
        "leaf_hash": None if position is None else event_leaf_hash(event, position),
    }


def deal_out(deal: Deal) -> dict[str, Any]:
    reps_by_party: dict[str, list[dict[str, Any]]] = {}
    for rep in deal.representatives.values():
        reps_by_party.setdefault(rep.party_id, []).append(
            {"name": rep.name, "title": rep.title, "authority": jsonable(rep.authority), "office": jsonable(rep.office)}
        )
    return {
        "deal_id": deal.id,
        "version": deal.version,
        "title": deal.title,
        "summary": deal.summary,
        "status": deal.status,
        "requires_ratification": deal.requires_ratification,
        "tags": list(deal.tags),
        "predecessor_deal_id": deal.predecessor_deal_id,
        "awaiting": jsonable(deal.ball),
        "allowed_events": deal.allowed_events,
        "parties": [
            {**jsonable(p), "representatives": reps_by_party.get(p.party_id, [])} for p in deal.parties.values()
        ],
        "proposal_on_table": deal.proposal_on_table,
        "accepted_proposal_id": deal.accepted_proposal_id,
        "proposals": jsonable(list(deal.proposals.values())),
        "conditions": jsonable(list(deal.conditions.values())),
        "open_conditions": [c.condition_id for c in deal.open_conditions],
        "statements": jsonable(list(deal.statements.values())),
        "meetings": jsonable(list(deal.meetings.values())),
        "signatures": jsonable(list(deal.signatures.values())),
        "ratifications": jsonable(list(deal.ratifications.values())),
        "deadline_at": deal.deadline_at,
        "corrections": jsonable(deal.corrections),
        "created_at": deal.created_on,
        "updated_at": deal.modified_on,
    }
