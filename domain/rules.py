"""The rules of a deal's life, as data: which event may move a deal from which state, and where to.

Besides the table, two rules hold up the conclusion of a deal (checked by the deal's verbs, domain/state.py):

- Blocking conditions. A condition raised as blocking (the default, and what every condition was before the flag
  existed) holds the deal up while it stands: no proposal is accepted, no signature added and no ratification
  recorded until it is satisfied, waived or withdrawn (rejecting a demand does not meet it: a rejected condition
  still stands, and can yet be satisfied, waived or withdrawn). A non-blocking
  condition never holds anything up. A correction of `blocking` counts from the correction on; the deal as it
  stood before the correction (time travel) was held up as it was then.
- Signing authority (Vienna Convention on the Law of Treaties, art. 7). A person signs for a party only with
  authority for that party: as its representative designated with signing powers (full powers), or, without full
  powers, as its head of state, head of government or foreign minister recorded for it. Being designated for
  another party gives no authority to sign for this one.
"""

from __future__ import annotations

from datetime import datetime

from domain.errors import IllegalTransition, OutOfOrder
from domain.values import DealStatus as S

TERMINAL: frozenset[S] = frozenset({S.REJECTED, S.WITHDRAWN, S.EXPIRED, S.TERMINATED})

# status -> {event type -> status after it}. Signatures and ratifications stay pending until the last one.
TRANSITIONS: dict[S, dict[str, S]] = {
    S.DRAFT: {
        "proposal_tendered": S.PROPOSED,
        "deal_withdrawn": S.WITHDRAWN,
    },
    S.PROPOSED: {
        "proposal_tendered": S.PROPOSED,
        "negotiation_opened": S.UNDER_NEGOTIATION,
        "signing_withheld": S.SIGNING_WITHHELD,
        "counter_proposal_announced": S.COUNTER_PROPOSAL_PENDING,
        "proposal_accepted": S.SIGNATURE_PENDING,
        "proposal_rejected": S.REJECTED,
        "proposal_withdrawn": S.WITHDRAWN,
        "deadline_passed": S.EXPIRED,
    },
    S.UNDER_NEGOTIATION: {
        "proposal_tendered": S.PROPOSED,
        "counter_proposal_announced": S.COUNTER_PROPOSAL_PENDING,
        "deal_withdrawn": S.WITHDRAWN,
        "deadline_passed": S.EXPIRED,
    },
    S.SIGNING_WITHHELD: {
        "signing_authorized": S.SIGNATURE_PENDING,
        "counter_proposal_announced": S.COUNTER_PROPOSAL_PENDING,
        "proposal_tendered": S.PROPOSED,
        "negotiation_opened": S.UNDER_NEGOTIATION,
        "proposal_rejected": S.REJECTED,
        "proposal_withdrawn": S.WITHDRAWN,
        "deadline_passed": S.EXPIRED,
    },
    S.COUNTER_PROPOSAL_PENDING: {
        "proposal_tendered": S.PROPOSED,
        "negotiation_opened": S.UNDER_NEGOTIATION,
        "counter_proposal_abandoned": S.SIGNING_WITHHELD,
        "deal_withdrawn": S.WITHDRAWN,
        "deadline_passed": S.EXPIRED,
    },
    S.SIGNATURE_PENDING: {
        "signature_added": S.SIGNATURE_PENDING,
        "signing_withheld": S.SIGNING_WITHHELD,
        "signature_process_voided": S.UNDER_NEGOTIATION,
        "deal_withdrawn": S.WITHDRAWN,
        "deadline_passed": S.EXPIRED,
    },
    S.SIGNED: {
        "ratification_submitted": S.RATIFICATION_PENDING,
        "entered_into_force": S.IN_FORCE,
        "intent_not_to_be_bound_declared": S.WITHDRAWN,
    },
    S.RATIFICATION_PENDING: {
        "ratified": S.RATIFICATION_PENDING,
        "ratification_refused": S.REJECTED,
        "intent_not_to_be_bound_declared": S.WITHDRAWN,
    },
    S.RATIFIED: {
        "entered_into_force": S.IN_FORCE,
        "intent_not_to_be_bound_declared": S.WITHDRAWN,
    },
    S.IN_FORCE: {
        "deal_terminated": S.TERMINATED,
    },
    S.REJECTED: {},
    S.WITHDRAWN: {},
    S.EXPIRED: {},
    S.TERMINATED: {},
}

STATE_CHANGING: frozenset[str] = frozenset(e for targets in TRANSITIONS.values() for e in targets)


def _destinations() -> dict[str, S]:
    """Each state-changing event leads to one state, whatever the state it leaves. Appliers use this rather than
    the table, so a log stays replayable when the table later allows or forbids a move."""
    found: dict[str, S] = {}
    for targets in TRANSITIONS.values():
        for event_type, target in targets.items():
            if found.setdefault(event_type, target) is not target:
                raise ValueError(f"{event_type} leads to both {found[event_type].value} and {target.value}")
    return found


DESTINATION: dict[str, S] = _destinations()

# Recorded whatever the state, as long as the deal has not ended; they change no state.
ALWAYS_ALLOWED: frozenset[str] = frozenset(
    {
        "party_joined",
        "role_assigned",
        "role_revoked",
        "representative_designated",
        "meeting_held",
        "statement_recorded",
        "condition_raised",
        "condition_satisfied",
        "condition_waived",
        "condition_withdrawn",
        "condition_rejected",
        "source_attached",
        "deadline_set",
        "event_corrected",
        "event_retracted",
    }
)

# The acts of conclusion that a blocking condition holds up while it stands.
HELD_UP_BY_BLOCKING_CONDITIONS: frozenset[str] = frozenset({"proposal_accepted", "signature_added", "ratified"})

# Reporting goes on after a deal has ended.
ALLOWED_AFTER_END: frozenset[str] = frozenset(
    {"statement_recorded", "source_attached", "event_corrected", "event_retracted"}
)


def is_terminal(status: S) -> bool:
    return status in TERMINAL


def allowed_events(status: S) -> list[str]:
    """Every event type a deal in this state accepts, state-changing ones first."""
    if is_terminal(status):
        return sorted(ALLOWED_AFTER_END)
    return sorted(TRANSITIONS[status]) + sorted(ALWAYS_ALLOWED)


def next_status(status: S, event_type: str) -> S:
    """Where a state-changing event takes the deal; raises IllegalTransition if it may not."""
    target = TRANSITIONS[status].get(event_type)
    if target is None:
        raise IllegalTransition(status.value, event_type, allowed_events(status))
    return target


def require_allowed(status: S, event_type: str) -> None:
    if event_type in STATE_CHANGING:
        next_status(status, event_type)
    elif is_terminal(status) and event_type not in ALLOWED_AFTER_END:
        raise IllegalTransition(status.value, event_type, allowed_events(status))


def require_in_order(occurred_at: datetime, last_state_change_at: datetime | None) -> None:
    """A state change cannot be dated before the one it follows; a correction is the way to fix history."""
    if last_state_change_at is not None and occurred_at < last_state_change_at:
        raise OutOfOrder(
            f"occurred_at {occurred_at.isoformat()} is before the last state change at "
            f"{last_state_change_at.isoformat()}; record a correction instead",
            occurred_at=occurred_at.isoformat(),
            last_state_change_at=last_state_change_at.isoformat(),
        )
