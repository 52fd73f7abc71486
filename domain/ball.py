"""Who holds the ball: which parties must act next, derived from the deal's state after each event."""

from __future__ import annotations

from typing import TYPE_CHECKING

from domain.values import Ball, DealStatus, Role

if TYPE_CHECKING:
    from domain.events import DealEvent
    from domain.state import DealState


def ball_after(deal: DealState, event: DealEvent) -> Ball:
    """The ball as it lies once `event` has been applied; `since` is when it moved there."""
    parties, reason = _holder(deal)
    reason += _held_up(deal)
    if parties == deal.ball.party_ids and reason == deal.ball.reason:
        return deal.ball
    return Ball(tuple(parties), event.occurred_at, reason)


# The act each status waits for that blocking conditions hold up (domain/rules.py).
_HELD_UP_ACT = {
    DealStatus.PROPOSED: "acceptance",
    DealStatus.SIGNATURE_PENDING: "signature",
    DealStatus.RATIFICATION_PENDING: "ratification",
}


def _held_up(deal: DealState) -> str:
    """What the reason adds while blocking conditions hold up the act the deal waits for."""
    act = _HELD_UP_ACT.get(deal.status)
    blocking = deal.blocking_conditions
    if act is None or not blocking:
        return ""
    named = ", ".join(f"{c.condition_id} (raised by {c.raised_by})" for c in blocking)
    return f"; {act} is held up by blocking conditions {named}"


def _holder(deal: DealState) -> tuple[tuple[str, ...], str]:
    status = deal.status
    proposal = deal.current_proposal
    if status is DealStatus.DRAFT:
        return tuple(deal.parties_with(Role.PROPOSER)), "drafting the first proposal"
    if status is DealStatus.PROPOSED and proposal is not None:
        return proposal.tendered_to, f"to answer proposal {proposal.proposal_id}"
    if status is DealStatus.UNDER_NEGOTIATION:
        if proposal is None:
            return (), "negotiating"
        return proposal.tendered_to, f"negotiating proposal {proposal.proposal_id}"
    if status is DealStatus.SIGNING_WITHHELD and proposal is not None:
        return (proposal.tendered_by,), f"to revise proposal {proposal.proposal_id} after signing was withheld"
    if status is DealStatus.COUNTER_PROPOSAL_PENDING and deal.counter_announced_by:
        return (deal.counter_announced_by,), "to present the announced counter-proposal"
    if status is DealStatus.SIGNATURE_PENDING:
        unsigned = tuple(p for p in deal.required_signatories if p not in deal.signatures)
        return unsigned, "to sign"
    if status is DealStatus.SIGNED and deal.requires_ratification:
        return tuple(deal.required_ratifiers), "to submit the deal for ratification"
    if status is DealStatus.RATIFICATION_PENDING:
        pending = tuple(p for p in deal.required_ratifiers if p not in deal.ratifications)
        return pending, "to ratify"
    if status in (DealStatus.SIGNED, DealStatus.RATIFIED):
        return (), "awaiting entry into force"
    return (), f"nobody: the deal is {status.value}"
