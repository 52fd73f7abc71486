"""The one place where the public contract meets the domain: request bodies become deal commands, and
deals and their events become response bodies."""

from __future__ import annotations

from dataclasses import fields, is_dataclass
from datetime import UTC, datetime, timedelta
from enum import Enum
from typing import Any
from uuid import UUID, uuid4

from domain import Deal, DealEvent
from domain.errors import InvalidValue
from domain.values import ConditionStatus, Party, Representative, Source, Speaker
from service.api import schemas as s
from service.api.event_json import ENVELOPE_FIELDS, event_id, event_leaf_hash
from service.write.jobs import Command

# Event type -> the Deal verb that records it.
VERBS: dict[str, str] = {
    "party_joined": "join",
    "role_assigned": "assign_role",
    "role_revoked": "revoke_role",
    "representative_designated": "designate_representative",
    "proposal_tendered": "tender_proposal",
    "meeting_held": "hold_meeting",
    "negotiation_opened": "open_negotiation",
    "signing_withheld": "withhold_signing",
    "signing_authorized": "authorize_signing",
    "condition_raised": "raise_condition",
    "condition_satisfied": "resolve_condition",
    "condition_waived": "resolve_condition",
    "condition_withdrawn": "resolve_condition",
    "condition_rejected": "resolve_condition",
    "statement_recorded": "record_statement",
    "counter_proposal_announced": "announce_counter_proposal",
    "counter_proposal_abandoned": "abandon_counter_proposal",
    "proposal_accepted": "accept_proposal",
    "proposal_rejected": "reject_proposal",
    "proposal_withdrawn": "withdraw_proposal",
    "signature_added": "add_signature",
    "signature_process_voided": "void_signature_process",
    "ratification_submitted": "submit_for_ratification",
    "ratified": "ratify",
    "ratification_refused": "refuse_ratification",
    "entered_into_force": "enter_into_force",
    "deal_terminated": "terminate",
    "deal_withdrawn": "withdraw",
    "intent_not_to_be_bound_declared": "declare_intent_not_to_be_bound",
    "deadline_set": "set_deadline",
    "deadline_passed": "pass_deadline",
    "source_attached": "attach_source",
    "event_corrected": "correct_event",
    "event_retracted": "retract_event",
}
# Ids a client may leave out; the service gives the new thing one.
GENERATED_IDS = {
    "proposal_tendered": "proposal_id",
    "condition_raised": "condition_id",
    "statement_recorded": "statement_id",
}
OUTCOMES = {
    "condition_satisfied": ConditionStatus.SATISFIED,
    "condition_waived": ConditionStatus.WAIVED,
    "condition_withdrawn": ConditionStatus.WITHDRAWN,
    "condition_rejected": ConditionStatus.REJECTED,
}


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


def to_source(source: s.SourceIn) -> Source:
    return Source(source.url, source.publisher, source.published_at)


def to_party(party: s.PartyIn) -> Party:
    return Party(party.party_id, party.name, party.kind, tuple(dict.fromkeys(party.roles)))


def to_command(body: Any, default_time: datetime, latest: datetime | None = None, where: str = "") -> Command:
    """Turn one posted event into the deal verb that records it; with `latest`, one that is dated (or corrects a
    date) after it is refused, its field named with the prefix `where` (an item of a batch)."""
    kind: str = body.type
    if latest is not None:
        require_happened(body.occurred_at, latest, f"{where}occurred_at")
        if kind == "event_corrected":
            require_happened(body.corrected_fields.get("occurred_at"), latest, f"{where}corrected_fields.occurred_at")
    kwargs: dict[str, Any] = {}
    for name in type(body).model_fields:
        if name == "type":
            continue
        value = getattr(body, name)
        if isinstance(value, list):
            value = tuple(value)
        kwargs[name] = value
    kwargs["occurred_at"] = body.occurred_at or default_time
    if "sources" in kwargs:
        kwargs["sources"] = tuple(to_source(src) for src in body.sources)
    id_field = GENERATED_IDS.get(kind)
    if id_field is not None and kwargs[id_field] is None:
        kwargs[id_field] = uuid4().hex[:12]
    if kind == "party_joined":
        kwargs = {"party": to_party(body), "occurred_at": kwargs["occurred_at"], "sources": kwargs["sources"]}
    elif kind == "representative_designated":
        rep = Representative(body.party_id, body.name, body.title, tuple(body.authority), body.office)
        kwargs = {"rep": rep, "occurred_at": kwargs["occurred_at"], "sources": kwargs["sources"]}
    elif kind == "statement_recorded":
        kwargs["speaker"] = Speaker(**body.speaker.model_dump())
    elif kind == "source_attached":
        kwargs["source"] = to_source(body.source)
    elif kind in OUTCOMES:
        kwargs["outcome"] = OUTCOMES[kind]
    elif kind == "event_corrected":
        kwargs["corrected_fields"] = dict(body.corrected_fields)
    verb = VERBS[kind]

    def command(deal: Deal) -> None:
        getattr(deal, verb)(**kwargs)

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
