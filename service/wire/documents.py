"""Deals and their events as their public JSON documents: what the API answers, the webhooks send and replay
reports show. The same shapes as api/schemas.py's DealOut and wire/schemas.py's EventOut."""

from __future__ import annotations

from dataclasses import fields, is_dataclass
from datetime import datetime
from enum import Enum
from typing import Any
from uuid import UUID

from domain import Deal, DealEvent
from service.wire.event_json import ENVELOPE_FIELDS, event_id, event_leaf_hash


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
