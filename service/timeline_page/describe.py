"""One sentence per event, for people: who did what, with the facts that matter. Plain text (the template escapes)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from domain import DealEvent

Names = dict[str, str]


def humanize(type_name: str) -> str:
    return type_name.replace("_", " ").capitalize()


def _list(items: Any) -> str:
    return ", ".join(str(getattr(i, "value", i)) for i in items)


def _who(names: Names, party_id: str | None) -> str:
    return names.get(party_id, party_id) if party_id else "someone"


def _reason(text: str | None) -> str:
    return f" — {text}" if text else ""


DESCRIPTIONS: dict[str, Callable[[Any, Names], str]] = {
    "deal_opened": lambda e, n: f"Opened: {e.title}" + (f". {e.summary}" if e.summary else ""),
    "party_joined": lambda e, n: f"{e.name} joined" + (f" as {_list(e.roles)}" if e.roles else ""),
    "role_assigned": lambda e, n: f"{_who(n, e.party_id)} now acts as {e.role.value}",
    "role_revoked": lambda e, n: f"{_who(n, e.party_id)} no longer acts as {e.role.value}",
    "representative_designated": lambda e, n: f"{e.name}" + (f", {e.title}," if e.title else "")
    + f" represents {_who(n, e.party_id)}" + (f" ({_list(e.authority)})" if e.authority else "")
    + (f" as its {e.office.value.replace('_', ' ')}" if e.office else ""),
    "proposal_tendered": lambda e, n: f"{_who(n, e.tendered_by)} tendered proposal {e.proposal_id} to "
    f"{', '.join(_who(n, p) for p in e.tendered_to)}" + (f", delivered by {e.delivered_by}" if e.delivered_by else "")
    + (f" in {e.venue}" if e.venue else "") + (f": {'; '.join(e.terms)}" if e.terms else ""),
    "meeting_held": lambda e, n: f"Meeting of {', '.join(e.participants)}" + (f" at {e.venue}" if e.venue else "")
    + (f": {e.topic}" if e.topic else ""),
    "negotiation_opened": lambda e, n: "Negotiation opened" + (f" ({e.format})" if e.format else ""),
    "signing_withheld": lambda e, n: f"{_who(n, e.by_party)} withheld signing"
    + (f" ({e.authorizer})" if e.authorizer else "") + (f": {_list(e.reason_codes)}" if e.reason_codes else "")
    + _reason(e.reason_text),
    "signing_authorized": lambda e, n: f"{_who(n, e.by_party)} authorized signing"
    + (f" ({e.authorizer})" if e.authorizer else ""),
    "condition_raised": lambda e, n: f"{_who(n, e.raised_by)} raised condition {e.condition_id} "
    f"({e.kind.value}{', blocking' if e.blocking else ''}): {e.text}"
    + (f" [{e.legal_basis}]" if e.legal_basis else ""),
    "counter_proposal_announced": lambda e, n: f"{_who(n, e.by_party)} announced a counter-proposal"
    + (f" to {e.counter_to}" if e.counter_to else "") + _reason(e.summary),
    "counter_proposal_abandoned": lambda e, n: f"{_who(n, e.by_party)} abandoned its counter-proposal"
    + _reason(e.reason),
    "signature_added": lambda e, n: f"{_who(n, e.party_id)} signed" + (f" ({e.signatory})" if e.signatory else "")
    + (f" in {e.place}" if e.place else ""),
    "deadline_set": lambda e, n: f"Deadline set for {e.deadline_at.isoformat()}"
    + (f" ({e.applies_to})" if e.applies_to else ""),
    "statement_recorded": lambda e, n: f"Statement ({e.stance.value})"
    + (f" about event {e.about_version}" if e.about_version else ""),
    "source_attached": lambda e, n: f"Source attached to event {e.target_version}",
    "event_corrected": lambda e, n: f"Corrected event {e.target_version} "
    f"({', '.join(sorted(e.corrected_fields))}){_reason(e.reason)}",
    "event_retracted": lambda e, n: f"Retracted event {e.target_version}{_reason(e.reason)}",
}


def describe(event: DealEvent, names: Names) -> str:
    special = DESCRIPTIONS.get(event.type_name)
    if special is not None:
        return special(event, names)
    if event.type_name.startswith("condition_"):
        return f"{_who(names, event.by_party)}: condition {event.condition_id} {event.type_name[10:]}" + _reason(  # type: ignore[attr-defined]  # a condition's resolution: the type name says so
            event.note)  # type: ignore[attr-defined]  # a condition's resolution: the type name says so
    by = getattr(event, "by_party", None) or getattr(event, "party_id", None)
    reason = getattr(event, "reason", None)
    subject = getattr(event, "proposal_id", None)
    text = humanize(event.type_name) + (f" by {_who(names, by)}" if by else "")
    return text + (f" (proposal {subject})" if subject else "") + _reason(reason)
