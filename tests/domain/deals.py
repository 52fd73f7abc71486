"""Builders for the domain tests: a deal brought into any state by a realistic path, and one valid call of the
verb behind each event type."""

from __future__ import annotations

import copy
import uuid
from collections.abc import Callable
from datetime import datetime, timedelta, timezone
from typing import Any

from domain import Deal
from domain.rules import ALWAYS_ALLOWED, STATE_CHANGING
from domain.values import (
    Authority,
    ConditionKind,
    ConditionStatus,
    DealStatus,
    Party,
    PartyKind,
    Representative,
    Role,
    Source,
    Speaker,
    Stance,
)

KYIV = timezone(timedelta(hours=2))
OPENED_AT = datetime(2025, 2, 12, 9, 0, tzinfo=KYIV)
AP = Source("https://apnews.com/article/minerals", "Associated Press", datetime(2025, 2, 16, 10, tzinfo=KYIV))

US = Party("US", "United States", PartyKind.STATE, (Role.PROPOSER, Role.SIGNATORY, Role.RATIFIER))
UA = Party("UA", "Ukraine", PartyKind.STATE, (Role.COUNTERPARTY, Role.AUTHORIZER, Role.SIGNATORY, Role.RATIFIER))

S = DealStatus
EVENT_TYPES = sorted(STATE_CHANGING | ALWAYS_ALLOWED)


def later(deal: Deal, hours: int = 1) -> datetime:
    """A moment after everything the deal has seen, so no state change is out of order."""
    return max(deal.last_state_change_at, deal.ball.since) + timedelta(hours=hours)


def opened(requires_ratification: bool = False) -> Deal:
    """A deal between the US (proposer) and Ukraine (counterparty and authorizer), both signatories and
    ratifiers, with one open condition so that every condition verb has something to act on (not blocking, so
    that it holds nothing up)."""
    deal = Deal.open(uuid.uuid4(), "US–Ukraine minerals agreement", OPENED_AT,
                     requires_ratification=requires_ratification, tags=("minerals",))
    deal.join(US, OPENED_AT)
    deal.join(UA, OPENED_AT)
    deal.raise_condition("c0", "UA", ConditionKind.SECURITY_GUARANTEE, "security guarantees", OPENED_AT,
                         blocking=False)
    return deal


# How a deal gets into each status: the status it passes through first, and the event type that moves it on.
PATHS: dict[DealStatus, tuple[DealStatus | None, str | None]] = {
    S.DRAFT: (None, None),
    S.PROPOSED: (S.DRAFT, "proposal_tendered"),
    S.UNDER_NEGOTIATION: (S.PROPOSED, "negotiation_opened"),
    S.SIGNING_WITHHELD: (S.PROPOSED, "signing_withheld"),
    S.COUNTER_PROPOSAL_PENDING: (S.SIGNING_WITHHELD, "counter_proposal_announced"),
    S.SIGNATURE_PENDING: (S.PROPOSED, "proposal_accepted"),
    S.SIGNED: (S.SIGNATURE_PENDING, "signature_added"),  # ×2, below
    S.RATIFICATION_PENDING: (S.SIGNED, "ratification_submitted"),
    S.RATIFIED: (S.RATIFICATION_PENDING, "ratified"),  # ×2, below
    S.IN_FORCE: (S.SIGNED, "entered_into_force"),
    S.REJECTED: (S.PROPOSED, "proposal_rejected"),
    S.WITHDRAWN: (S.DRAFT, "deal_withdrawn"),
    S.EXPIRED: (S.PROPOSED, "deadline_passed"),
    S.TERMINATED: (S.IN_FORCE, "deal_terminated"),
}


def deal_in(status: DealStatus, requires_ratification: bool = False) -> Deal:
    """A deal brought into `status` through the verbs, as it could happen in the world."""
    before, event_type = PATHS[status]
    if before is None:
        return opened(requires_ratification)
    deal = deal_in(before, requires_ratification)
    while deal.status is not status:
        perform(deal, event_type or "")
    return deal


def other_than(deal: Deal, party_id: str) -> str:
    return next(p for p in deal.parties if p != party_id)


def _tender(deal: Deal, at: datetime) -> None:
    on_table = deal.current_proposal
    by = "US" if on_table is None else other_than(deal, on_table.tendered_by)
    deal.tender_proposal(f"v{len(deal.proposals) + 1}", by, (other_than(deal, by),), ("minerals access",), at)


def _answerer(deal: Deal) -> str:
    on_table = deal.current_proposal
    return "UA" if on_table is None else other_than(deal, on_table.tendered_by)


def _tenderer(deal: Deal) -> str:
    on_table = deal.current_proposal
    return "US" if on_table is None else on_table.tendered_by


def _first_unsigned(deal: Deal) -> str:
    return next((p for p in deal.required_signatories if p not in deal.signatures), "US")


def _first_unratified(deal: Deal) -> str:
    return next((p for p in deal.required_ratifiers if p not in deal.ratifications), "UA")


def _origin_version(deal: Deal, kind: str) -> int:
    return next(int(v) for v, origin in deal.origins.items() if origin.startswith(f"{kind}:"))


# One valid call of the verb behind each event type, given the deal as it is.
VERB_CALLS: dict[str, Callable[[Deal, datetime], None]] = {
    "proposal_tendered": _tender,
    "negotiation_opened": lambda d, at: d.open_negotiation(at, format="expert talks"),
    "signing_withheld": lambda d, at: d.withhold_signing(
        _answerer(d), at, authorizer="Volodymyr Zelenskyy", reason_codes=("no_security_guarantees",)),
    "signing_authorized": lambda d, at: d.authorize_signing("UA", at, authorizer="Volodymyr Zelenskyy"),
    "counter_proposal_announced": lambda d, at: d.announce_counter_proposal(_answerer(d), at),
    "counter_proposal_abandoned": lambda d, at: d.abandon_counter_proposal(d.counter_announced_by or "UA", at),
    "proposal_accepted": lambda d, at: d.accept_proposal(_answerer(d), at),
    "proposal_rejected": lambda d, at: d.reject_proposal(_answerer(d), at),
    "proposal_withdrawn": lambda d, at: d.withdraw_proposal(_tenderer(d), at),
    "signature_added": lambda d, at: d.add_signature(_first_unsigned(d), at),
    "signature_process_voided": lambda d, at: d.void_signature_process("US", at, reason="text reopened"),
    "ratification_submitted": lambda d, at: d.submit_for_ratification("UA", at, body="Verkhovna Rada"),
    "ratified": lambda d, at: d.ratify(_first_unratified(d), at, votes_for=338),
    "ratification_refused": lambda d, at: d.refuse_ratification("UA", at, body="Verkhovna Rada"),
    "entered_into_force": lambda d, at: d.enter_into_force(at),
    "deal_terminated": lambda d, at: d.terminate(at, by_party="UA"),
    "deal_withdrawn": lambda d, at: d.withdraw("US", at),
    "intent_not_to_be_bound_declared": lambda d, at: d.declare_intent_not_to_be_bound("UA", at),
    "deadline_passed": lambda d, at: d.pass_deadline(at),
    # Events that change no state.
    "party_joined": lambda d, at: d.join(Party(f"P{len(d.parties)}", "Poland", PartyKind.STATE, (Role.OBSERVER,)), at),
    "role_assigned": lambda d, at: d.assign_role("US", Role.GUARANTOR, at),
    "role_revoked": lambda d, at: d.revoke_role("UA", Role.COUNTERPARTY, at),
    "representative_designated": lambda d, at: d.designate_representative(
        Representative("US", "Scott Bessent", "Secretary of the Treasury", (Authority.NEGOTIATE,)), at),
    "meeting_held": lambda d, at: d.hold_meeting(("Volodymyr Zelenskyy", "JD Vance"), at, venue="Munich"),
    "statement_recorded": lambda d, at: d.record_statement(
        f"s{len(d.statements) + 1}", Speaker(title="senior White House official"), "short-sighted",
        Stance.CRITICIZE, at),
    "condition_raised": lambda d, at: d.raise_condition(
        f"c{len(d.conditions)}", "UA", ConditionKind.LEGAL_COMPLIANCE, "Constitution, Art. 13", at),
    "condition_satisfied": lambda d, at: d.resolve_condition(ConditionStatus.SATISFIED, "c0", "US", at),
    "condition_waived": lambda d, at: d.resolve_condition(ConditionStatus.WAIVED, "c0", "UA", at),
    "condition_withdrawn": lambda d, at: d.resolve_condition(ConditionStatus.WITHDRAWN, "c0", "UA", at),
    "condition_rejected": lambda d, at: d.resolve_condition(ConditionStatus.REJECTED, "c0", "US", at),
    "source_attached": lambda d, at: d.attach_source(d.version, AP, at),
    "deadline_set": lambda d, at: d.set_deadline(at + timedelta(days=30), at),
    "event_corrected": lambda d, at: d.correct_event(
        _origin_version(d, "condition"), {"text": "security guarantees tied to investment"}, "misquoted", at),
    "event_retracted": lambda d, at: d.retract_event(_origin_version(d, "condition"), "never raised", at),
}


def perform(deal: Deal, event_type: str, at: datetime | None = None) -> None:
    """Record one event of this type on the deal through its verb, with valid arguments."""
    VERB_CALLS[event_type](deal, at or later(deal))


def state_of(deal: Deal) -> dict[str, Any]:
    """Everything the deal knows, its version and pending events included, to compare before and after."""
    state = {k: v for k, v in vars(deal).items() if k != "_pending_events"}
    return copy.deepcopy({**state, "pending": len(deal.pending_events)})
