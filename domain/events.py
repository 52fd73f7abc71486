"""What can happen to a deal, each as an immutable event that knows how it changes the deal.

An event's `apply` only records what happened: the decision whether it may happen was taken by the
Deal's command method before the event existed, so history always replays even when rules change.
The class name and module of a stored event never change (they are its topic in the log).
"""

from __future__ import annotations

import re
from dataclasses import replace
from datetime import datetime
from typing import TYPE_CHECKING, Any, ClassVar

from eventsourcing.domain import Aggregate

from domain import rules
from domain.values import (
    Authority,
    Condition,
    ConditionKind,
    ConditionStatus,
    Meeting,
    Office,
    Party,
    PartyKind,
    Proposal,
    Ratification,
    Representative,
    Role,
    Signature,
    Source,
    Speaker,
    Stance,
    Statement,
)

if TYPE_CHECKING:
    from domain.deal import Deal


def _snake(name: str) -> str:
    return re.sub(r"(?<!^)(?=[A-Z])", "_", name).lower()


class DealEvent(Aggregate.Event):
    """Every event says when it happened in the world and who reported it."""

    occurred_at: datetime
    sources: tuple[Source, ...]

    type_name: ClassVar[str] = "deal_event"
    changes_state: ClassVar[bool] = False

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        cls.type_name = _snake(cls.__name__)
        cls.changes_state = cls.type_name in rules.STATE_CHANGING

    def apply(self, deal: Deal) -> None:
        if self.changes_state:
            deal._move(self)
        self.record(deal)
        deal._refresh_ball(self)

    def record(self, deal: Deal) -> None:
        """The facts this event adds to the deal, besides its change of state."""


class DealOpened(DealEvent, Aggregate.Created):
    title: str
    summary: str | None
    requires_ratification: bool
    tags: tuple[str, ...]
    predecessor_deal_id: str | None

    def record(self, deal: Deal) -> None:
        deal._open(self)


class PartyJoined(DealEvent):
    party_id: str
    name: str
    kind: PartyKind
    roles: tuple[Role, ...]

    def record(self, deal: Deal) -> None:
        deal.parties[self.party_id] = Party(self.party_id, self.name, self.kind, tuple(self.roles))


class RoleAssigned(DealEvent):
    party_id: str
    role: Role

    def record(self, deal: Deal) -> None:
        party = deal.parties[self.party_id]
        deal.parties[self.party_id] = replace(party, roles=(*party.roles, self.role))


class RoleRevoked(DealEvent):
    party_id: str
    role: Role

    def record(self, deal: Deal) -> None:
        party = deal.parties[self.party_id]
        deal.parties[self.party_id] = replace(party, roles=tuple(r for r in party.roles if r is not self.role))


class RepresentativeDesignated(DealEvent):
    party_id: str
    name: str
    title: str | None
    authority: tuple[Authority, ...]
    office: Office | None

    # v1 had no `office`: a representative then held no office that signs without full powers.
    class_version = 2

    @staticmethod
    def upcast_v1_v2(state: dict[str, Any]) -> None:
        state.setdefault("office", None)

    def record(self, deal: Deal) -> None:
        rep = Representative(self.party_id, self.name, self.title, tuple(self.authority), self.office)
        deal.representatives[f"{self.party_id}/{self.name}"] = rep


class ProposalTendered(DealEvent):
    proposal_id: str
    tendered_by: str
    tendered_to: tuple[str, ...]
    terms: tuple[str, ...]
    summary: str | None
    delivered_by: str | None
    venue: str | None
    counter_to: str | None
    supersedes: str | None
    respond_by: datetime | None
    document_sha256: str | None

    def record(self, deal: Deal) -> None:
        deal.proposals[self.proposal_id] = Proposal(
            proposal_id=self.proposal_id,
            tendered_by=self.tendered_by,
            tendered_to=tuple(self.tendered_to),
            terms=tuple(self.terms),
            tendered_at=self.occurred_at,
            summary=self.summary,
            delivered_by=self.delivered_by,
            venue=self.venue,
            counter_to=self.counter_to,
            supersedes=self.supersedes,
            respond_by=self.respond_by,
            document_sha256=self.document_sha256,
        )
        deal.proposal_on_table = self.proposal_id
        deal.counter_announced_by = None


class MeetingHeld(DealEvent):
    participants: tuple[str, ...]
    venue: str | None
    topic: str | None
    proposal_id: str | None

    def record(self, deal: Deal) -> None:
        meeting = Meeting(tuple(self.participants), self.occurred_at, self.venue, self.topic, self.proposal_id)
        deal.meetings[str(self.originator_version)] = meeting


class NegotiationOpened(DealEvent):
    proposal_id: str | None
    format: str | None


class SigningWithheld(DealEvent):
    by_party: str
    authorizer: str | None
    signatories_affected: tuple[str, ...]
    proposal_id: str | None
    reason_codes: tuple[str, ...]
    reason_text: str | None

    def record(self, deal: Deal) -> None:
        deal.signatures.clear()


class SigningAuthorized(DealEvent):
    by_party: str
    authorizer: str | None
    signatories: tuple[str, ...]
    proposal_id: str | None

    def record(self, deal: Deal) -> None:
        deal.accepted_proposal_id = self.proposal_id or deal.proposal_on_table


class ConditionRaised(DealEvent):
    condition_id: str
    raised_by: str
    kind: ConditionKind
    text: str
    legal_basis: str | None
    blocking: bool
    proposal_id: str | None

    # v1 had no `blocking`: every condition then held the deal up, as a condition does by default now.
    class_version = 2

    @staticmethod
    def upcast_v1_v2(state: dict[str, Any]) -> None:
        state.setdefault("blocking", True)

    def record(self, deal: Deal) -> None:
        deal.conditions[self.condition_id] = Condition(
            condition_id=self.condition_id,
            raised_by=self.raised_by,
            kind=self.kind,
            text=self.text,
            blocking=self.blocking,
            raised_at=self.occurred_at,
            legal_basis=self.legal_basis,
            proposal_id=self.proposal_id,
        )
        deal.origins[str(self.originator_version)] = f"condition:{self.condition_id}"


class ConditionResolved(DealEvent):
    """Base of the four ways a condition closes."""

    condition_id: str
    by_party: str
    note: str | None

    outcome: ClassVar[ConditionStatus] = ConditionStatus.OPEN

    def record(self, deal: Deal) -> None:
        condition = deal.conditions[self.condition_id]
        deal.conditions[self.condition_id] = replace(
            condition,
            status=self.outcome,
            resolved_at=self.occurred_at,
            resolved_by=self.by_party,
            resolution_note=self.note,
        )


class ConditionSatisfied(ConditionResolved):
    outcome = ConditionStatus.SATISFIED


class ConditionWaived(ConditionResolved):
    outcome = ConditionStatus.WAIVED


class ConditionWithdrawn(ConditionResolved):
    outcome = ConditionStatus.WITHDRAWN


class ConditionRejected(ConditionResolved):
    outcome = ConditionStatus.REJECTED


class StatementRecorded(DealEvent):
    statement_id: str
    speaker: Speaker
    quote: str
    paraphrase: str | None
    stance: Stance
    about_version: int | None
    cameo_code: str | None

    def record(self, deal: Deal) -> None:
        deal.statements[self.statement_id] = Statement(
            statement_id=self.statement_id,
            speaker=self.speaker,
            quote=self.quote,
            stance=self.stance,
            made_at=self.occurred_at,
            paraphrase=self.paraphrase,
            about_version=self.about_version,
            cameo_code=self.cameo_code,
            sources=tuple(self.sources),
        )
        deal.origins[str(self.originator_version)] = f"statement:{self.statement_id}"


class CounterProposalAnnounced(DealEvent):
    by_party: str
    counter_to: str | None
    expected_by: datetime | None
    summary: str | None

    def record(self, deal: Deal) -> None:
        deal.counter_announced_by = self.by_party


class CounterProposalAbandoned(DealEvent):
    by_party: str
    reason: str | None

    def record(self, deal: Deal) -> None:
        deal.counter_announced_by = None


class ProposalAnswered(DealEvent):
    """Base of the answers to the proposal on the table."""

    by_party: str
    proposal_id: str
    reason: str | None


class ProposalAccepted(ProposalAnswered):
    def record(self, deal: Deal) -> None:
        deal.accepted_proposal_id = self.proposal_id


class ProposalRejected(ProposalAnswered):
    pass


class ProposalWithdrawn(ProposalAnswered):
    pass


class SignatureAdded(DealEvent):
    party_id: str
    signatory: str | None
    place: str | None
    proposal_id: str | None

    def record(self, deal: Deal) -> None:
        deal.signatures[self.party_id] = Signature(
            self.party_id, self.occurred_at, self.signatory, self.place, self.proposal_id
        )


class SignatureProcessVoided(DealEvent):
    by_party: str
    reason: str | None

    def record(self, deal: Deal) -> None:
        deal.signatures.clear()


class RatificationEvent(DealEvent):
    """Base of the steps a party's ratifying body takes."""

    party_id: str
    body: str | None
    instrument_ref: str | None
    votes_for: int | None
    votes_against: int | None
    abstentions: int | None


class RatificationSubmitted(RatificationEvent):
    pass


class Ratified(RatificationEvent):
    def record(self, deal: Deal) -> None:
        deal.ratifications[self.party_id] = Ratification(
            self.party_id, self.body, self.occurred_at, self.votes_for, self.votes_against, self.abstentions
        )


class RatificationRefused(RatificationEvent):
    pass


class Ending(DealEvent):
    """Base of the events that end a deal or bring it into force."""

    by_party: str | None
    reason: str | None


class EnteredIntoForce(Ending):
    pass


class DealTerminated(Ending):
    pass


class DealWithdrawn(Ending):
    pass


class IntentNotToBeBoundDeclared(Ending):
    pass


class DeadlineSet(DealEvent):
    deadline_at: datetime
    applies_to: str | None

    def record(self, deal: Deal) -> None:
        deal.deadline_at = self.deadline_at


class DeadlinePassed(DealEvent):
    deadline_at: datetime | None


class SourceAttached(DealEvent):
    target_version: int
    source: Source

    def record(self, deal: Deal) -> None:
        target = deal.origins.get(str(self.target_version), "")
        if target.startswith("statement:"):
            statement = deal.statements[target.removeprefix("statement:")]
            deal.statements[statement.statement_id] = replace(statement, sources=(*statement.sources, self.source))


class EventCorrected(DealEvent):
    target_version: int
    corrected_fields: dict[str, Any]
    reason: str

    def record(self, deal: Deal) -> None:
        deal._correct(self.target_version, self.corrected_fields)


class EventRetracted(DealEvent):
    target_version: int
    reason: str

    def record(self, deal: Deal) -> None:
        deal._retract(self.target_version)
