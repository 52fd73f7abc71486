"""Every kind of event a deal records, declared once: its name, its event class, the command that records it, and an
example from the Munich story.

Everything that lists event types is derived from here: the request bodies of the HTTP API and their examples,
the webhook event filters, the history's type filter, the documented list. Adding an event type is one entry below
plus its domain code (the event class, the command, the deal's verb, its place in domain/rules.py).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any
from uuid import UUID

from domain import commands as c
from domain import events as ev
from domain import rules
from domain.values import (
    Authority,
    ConditionKind,
    ConditionStatus,
    Office,
    PartyKind,
    Role,
    Source,
    Speaker,
    Stance,
)


@dataclass(frozen=True)
class EventType:
    event: type[ev.DealEvent]
    command: type[c.Command]
    example: c.Command
    # The field of the command naming the new thing (a proposal, a condition, a statement): the service gives it an
    # id when the client leaves it out.
    generated_id: str | None = None
    # Command fields the event type itself fixes: condition_waived is ResolveCondition with outcome=waived.
    preset: Mapping[str, Any] = field(default_factory=dict)

    @property
    def name(self) -> str:
        """The event type's name on the wire and in the log's feed: snake_case of its class."""
        return self.event.type_name

    @property
    def moves_status(self) -> bool:
        return self.event.changes_state

    @property
    def opens_deal(self) -> bool:
        return self.command is c.OpenDeal


def at(text: str) -> datetime:
    return datetime.fromisoformat(text)


AP = Source(
    "https://apnews.com/article/zelenskyy-minerals-munich", "Associated Press", at("2025-02-16T10:00:00+01:00")
)
STORY_DEAL = UUID("3f926630-fc69-4251-b7b1-c32bf82305ee")

_CONDITION_OUTCOMES = (
    (ev.ConditionSatisfied, c.ResolveCondition(
        outcome=ConditionStatus.SATISFIED, condition_id="c1", by_party="US", note="guarantee clause added",
        occurred_at=at("2025-03-25T18:00:00+02:00"))),
    (ev.ConditionWaived, c.ResolveCondition(
        outcome=ConditionStatus.WAIVED, condition_id="c1", by_party="UA", note="signed without guarantees",
        occurred_at=at("2025-04-30T12:00:00+03:00"))),
    (ev.ConditionWithdrawn, c.ResolveCondition(
        outcome=ConditionStatus.WITHDRAWN, condition_id="c1", by_party="UA",
        occurred_at=at("2025-04-30T12:00:00+03:00"))),
    (ev.ConditionRejected, c.ResolveCondition(
        outcome=ConditionStatus.REJECTED, condition_id="c1", by_party="US", note="not negotiable",
        occurred_at=at("2025-02-18T09:00:00-05:00"))),
)

CATALOGUE: tuple[EventType, ...] = (
    EventType(ev.DealOpened, c.OpenDeal, c.OpenDeal(
        deal_id=STORY_DEAL, title="US–Ukraine minerals agreement",
        summary="US access to Ukraine's rare earth minerals in return for past and future support",
        requires_ratification=True, occurred_at=at("2025-02-12T09:00:00+02:00"))),
    # ---- membership
    EventType(ev.PartyJoined, c.JoinParty, c.JoinParty(
        party_id="EU", name="European Union", kind=PartyKind.ORGANIZATION, roles=(Role.OBSERVER,),
        occurred_at=at("2025-02-14T09:00:00+01:00"))),
    EventType(ev.RoleAssigned, c.AssignRole, c.AssignRole(
        party_id="US", role=Role.GUARANTOR, occurred_at=at("2025-02-15T15:00:00+01:00"))),
    EventType(ev.RoleRevoked, c.RevokeRole, c.RevokeRole(
        party_id="EU", role=Role.OBSERVER, occurred_at=at("2025-02-17T09:00:00+01:00"))),
    EventType(ev.RepresentativeDesignated, c.DesignateRepresentative, c.DesignateRepresentative(
        party_id="UA", name="Volodymyr Zelenskyy", title="President of Ukraine",
        authority=(Authority.NEGOTIATE, Authority.SIGN, Authority.AUTHORIZE), office=Office.HEAD_OF_STATE,
        occurred_at=at("2025-02-12T09:00:00+02:00"))),
    # ---- proposals
    EventType(ev.ProposalTendered, c.TenderProposal, c.TenderProposal(
        proposal_id="v1", tendered_by="US", tendered_to=("UA",),
        terms=("US access to Ukraine's rare earth minerals as compensation for past support",),
        delivered_by="Scott Bessent", venue="Kyiv", occurred_at=at("2025-02-12T15:00:00+02:00"), sources=(AP,),
    ), generated_id="proposal_id"),
    EventType(ev.MeetingHeld, c.HoldMeeting, c.HoldMeeting(
        participants=("Volodymyr Zelenskyy", "JD Vance"), venue="Munich Security Conference",
        topic="minerals proposal", proposal_id="v1", occurred_at=at("2025-02-14T11:00:00+01:00"))),
    EventType(ev.NegotiationOpened, c.OpenNegotiation, c.OpenNegotiation(
        proposal_id="v1", format="working groups", occurred_at=at("2025-02-21T10:00:00+02:00"))),
    EventType(ev.SigningWithheld, c.WithholdSigning, c.WithholdSigning(
        by_party="UA", authorizer="Volodymyr Zelenskyy", signatories_affected=("ministers",),
        reason_codes=("no_security_guarantees", "favors_us_interests"),
        reason_text="I didn't let the ministers sign a relevant agreement because in my view it "
        "is not ready to protect us, our interest.",
        occurred_at=at("2025-02-15T12:00:00+01:00"), sources=(AP,))),
    EventType(ev.SigningAuthorized, c.AuthorizeSigning, c.AuthorizeSigning(
        by_party="UA", authorizer="Volodymyr Zelenskyy", signatories=("Yulia Svyrydenko",),
        occurred_at=at("2025-04-29T20:00:00+03:00"))),
    # ---- conditions, statements
    EventType(ev.ConditionRaised, c.RaiseCondition, c.RaiseCondition(
        condition_id="c1", raised_by="UA", kind=ConditionKind.SECURITY_GUARANTEE,
        text="Connect security guarantees with investment", blocking=True,
        occurred_at=at("2025-02-15T12:00:00+01:00")), generated_id="condition_id"),
    *(
        EventType(event, c.ResolveCondition, example, preset={"outcome": event.outcome})
        for event, example in _CONDITION_OUTCOMES
    ),
    EventType(ev.StatementRecorded, c.RecordStatement, c.RecordStatement(
        statement_id="s1", speaker=Speaker(title="senior White House official", party_id="US"),
        quote="short-sighted", stance=Stance.CRITICIZE, about_version=6, cameo_code="111",
        occurred_at=at("2025-02-16T09:00:00+01:00"), sources=(AP,)), generated_id="statement_id"),
    EventType(ev.CounterProposalAnnounced, c.AnnounceCounterProposal, c.AnnounceCounterProposal(
        by_party="UA", counter_to="v1", summary="to be presented to the US soon",
        occurred_at=at("2025-02-16T12:00:00+01:00"))),
    EventType(ev.CounterProposalAbandoned, c.AbandonCounterProposal, c.AbandonCounterProposal(
        by_party="UA", reason="talks moved to a new draft", occurred_at=at("2025-02-20T12:00:00+02:00"))),
    # ---- answers, signature, ratification, endings
    EventType(ev.ProposalAccepted, c.AcceptProposal, c.AcceptProposal(
        by_party="UA", proposal_id="v1", occurred_at=at("2025-04-29T20:00:00+03:00"))),
    EventType(ev.ProposalRejected, c.RejectProposal, c.RejectProposal(
        by_party="UA", proposal_id="v1", reason="a colonial agreement", occurred_at=at("2025-02-19T12:00:00+02:00"))),
    EventType(ev.ProposalWithdrawn, c.WithdrawProposal, c.WithdrawProposal(
        by_party="US", proposal_id="v1", occurred_at=at("2025-02-19T12:00:00-05:00"))),
    EventType(ev.SignatureAdded, c.AddSignature, c.AddSignature(
        party_id="US", signatory="Scott Bessent", place="Washington", occurred_at=at("2025-04-30T17:00:00-04:00"))),
    EventType(ev.SignatureProcessVoided, c.VoidSignatureProcess, c.VoidSignatureProcess(
        by_party="US", reason="text reopened", occurred_at=at("2025-04-30T12:00:00-04:00"))),
    EventType(ev.RatificationSubmitted, c.SubmitForRatification, c.SubmitForRatification(
        party_id="UA", body="Verkhovna Rada", instrument_ref="bill 13181",
        occurred_at=at("2025-05-02T12:00:00+03:00"))),
    EventType(ev.Ratified, c.Ratify, c.Ratify(
        party_id="UA", body="Verkhovna Rada", votes_for=338, occurred_at=at("2025-05-08T12:00:00+03:00"))),
    EventType(ev.RatificationRefused, c.RefuseRatification, c.RefuseRatification(
        party_id="UA", body="Verkhovna Rada", votes_for=120, votes_against=250,
        occurred_at=at("2025-05-08T12:00:00+03:00"))),
    EventType(ev.EnteredIntoForce, c.EnterIntoForce, c.EnterIntoForce(
        reason="exchange of notes completed", occurred_at=at("2025-05-30T12:00:00+03:00"))),
    EventType(ev.DealTerminated, c.TerminateDeal, c.TerminateDeal(
        by_party="US", reason="notice of termination", occurred_at=at("2026-05-30T12:00:00-04:00"))),
    EventType(ev.DealWithdrawn, c.WithdrawDeal, c.WithdrawDeal(
        by_party="US", reason="offer withdrawn", occurred_at=at("2025-02-19T12:00:00-05:00"))),
    EventType(ev.IntentNotToBeBoundDeclared, c.DeclareIntentNotToBeBound, c.DeclareIntentNotToBeBound(
        by_party="UA", reason="will not become a party", occurred_at=at("2025-05-05T12:00:00+03:00"))),
    EventType(ev.DeadlineSet, c.SetDeadline, c.SetDeadline(
        deadline_at=at("2025-02-28T23:59:00+02:00"), applies_to="counter-proposal",
        occurred_at=at("2025-02-16T12:00:00+01:00"))),
    EventType(ev.DeadlinePassed, c.PassDeadline, c.PassDeadline(occurred_at=at("2025-03-01T00:00:00+02:00"))),
    # ---- the record itself
    EventType(ev.SourceAttached, c.AttachSource, c.AttachSource(
        target_version=6, source=AP, occurred_at=at("2025-02-16T10:00:00+01:00"))),
    EventType(ev.EventCorrected, c.CorrectEvent, c.CorrectEvent(
        target_version=8, corrected_fields={"quote": "short-sighted"}, reason="quote checked against the recording",
        occurred_at=at("2025-02-17T10:00:00+01:00"))),
    EventType(ev.EventRetracted, c.RetractEvent, c.RetractEvent(
        target_version=9, reason="the report was withdrawn by its publisher",
        occurred_at=at("2025-02-18T10:00:00+01:00"))),
)

BY_NAME: dict[str, EventType] = {entry.name: entry for entry in CATALOGUE}
EVENT_CLASSES: dict[str, type[ev.DealEvent]] = {entry.name: entry.event for entry in CATALOGUE}
# What a client appends to a deal (a deal is opened by its own request).
APPENDABLE: tuple[EventType, ...] = tuple(entry for entry in CATALOGUE if not entry.opens_deal)


def _check() -> None:
    """The catalogue and the rules name the same event types, and each example is a command of its own entry."""
    for entry in CATALOGUE:
        if not isinstance(entry.example, entry.command):
            raise TypeError(f"the example of {entry.name} is not a {entry.command.__name__}")
        if any(getattr(entry.example, k) != v for k, v in entry.preset.items()):
            raise ValueError(f"the example of {entry.name} does not carry its preset {dict(entry.preset)}")
    named = set(BY_NAME) - {"deal_opened"}
    ruled = rules.STATE_CHANGING | rules.ALWAYS_ALLOWED
    if named != ruled:
        raise ValueError(f"event types without rules: {sorted(named - ruled)}; rules without an entry: "
                         f"{sorted(ruled - named)}")


_check()
