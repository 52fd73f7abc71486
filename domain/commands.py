"""What a party, or someone reporting on the negotiation, asks to record: one command per thing that can happen.

A command is a request, not yet a fact: the deal decides it (`Deal.handle`), and only then does it become an
event. Each carries exactly what that decision needs, in the words of the negotiation. The bounds on its values
(`Annotated` with `annotated_types`) are the limits of the record, so whoever receives commands from outside (the
HTTP API derives its request bodies from these classes) checks them before the deal sees the command.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Annotated, Any
from uuid import UUID

from annotated_types import Ge, Le, MaxLen, MinLen

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
class Pattern:
    """The shape a text must have, as a regular expression."""

    regex: str


# The largest number a command may carry: within a 64-bit integer, and exact as a float (JSON Schema bounds are).
LARGEST_NUMBER = 2**62
# A field's metadata "doc" says what it means for whoever sends the command.
# The words of a command's fields, with their limits.
Ref = Annotated[str, MinLen(1), MaxLen(100), Pattern(r"^[A-Za-z0-9_.:\-]+$")]  # a party, proposal, condition …
Name = Annotated[str, MinLen(1), MaxLen(300)]  # a person, a body, a place
Text = Annotated[str, MaxLen(20_000)]
Words = Annotated[str, MinLen(1), MaxLen(20_000)]  # text that must say something: a quote, a reason
Short = Annotated[str, MaxLen(300)]
Version = Annotated[int, Ge(1), Le(LARGEST_NUMBER)]  # an event of the deal, by its version
VoteCount = Annotated[int, Ge(0), Le(2**31 - 1)]
Refs = Annotated[tuple[Ref, ...], MaxLen(100)]
Shorts = Annotated[tuple[Short, ...], MaxLen(100)]
Sha256 = Annotated[str, Pattern(r"^[0-9a-f]{64}$")]
CameoCode = Annotated[str, Pattern(r"^[0-9]{2,4}$")]  # the CAMEO event code of a statement (e.g. 111: criticize)


@dataclass(frozen=True, kw_only=True)
class Command:
    """Something to record about a deal, and when it happened in the world."""

    occurred_at: datetime


@dataclass(frozen=True, kw_only=True)
class ReportedCommand(Command):
    """A command with where it was reported."""

    sources: Annotated[tuple[Source, ...], MaxLen(50)] = ()


# ---- opening and membership ------------------------------------------------------------------------


@dataclass(frozen=True, kw_only=True)
class OpenDeal(ReportedCommand):
    """Open a deal: what it is about, and whether it needs ratification before it can enter into force."""

    deal_id: UUID
    title: Name
    summary: Text | None = None
    requires_ratification: bool = False
    tags: Shorts = ()
    predecessor_deal_id: str | None = None


@dataclass(frozen=True, kw_only=True)
class JoinParty(ReportedCommand):
    """A party joins the deal, with the roles it holds in it."""

    party_id: Ref
    name: Name
    kind: PartyKind = PartyKind.STATE
    roles: Annotated[tuple[Role, ...], MaxLen(8)] = ()


@dataclass(frozen=True, kw_only=True)
class AssignRole(ReportedCommand):
    """Give a party one more role in the deal."""

    party_id: Ref
    role: Role


@dataclass(frozen=True, kw_only=True)
class RevokeRole(ReportedCommand):
    """Take a role away from a party."""

    party_id: Ref
    role: Role


@dataclass(frozen=True, kw_only=True)
class DesignateRepresentative(ReportedCommand):
    """Name a person who acts for a party, with the authority they hold."""

    party_id: Ref
    name: Name
    title: Name | None = None
    authority: Annotated[tuple[Authority, ...], MaxLen(3)] = ()
    office: Office | None = field(default=None, metadata={"doc":
        "head_of_state, head_of_government or foreign_minister of the party: the holder signs for it "
        "without `sign` authority (full powers), Vienna Convention art. 7(2)(a)."
    })


# ---- proposals -------------------------------------------------------------------------------------


@dataclass(frozen=True, kw_only=True)
class TenderProposal(ReportedCommand):
    """A party tenders a text to others. Tendered over the proposal on the table, it counters or revises it."""

    proposal_id: Ref
    tendered_by: Ref
    tendered_to: Annotated[tuple[Ref, ...], MinLen(1), MaxLen(100)]
    terms: Annotated[tuple[Text, ...], MaxLen(500)] = ()
    summary: Text | None = None
    delivered_by: Name | None = None
    venue: Name | None = None
    counter_to: Ref | None = None
    supersedes: Ref | None = None
    respond_by: datetime | None = None
    document_sha256: Sha256 | None = None


@dataclass(frozen=True, kw_only=True)
class HoldMeeting(ReportedCommand):
    """People met about the deal."""

    participants: Annotated[tuple[Name, ...], MinLen(1), MaxLen(100)]
    venue: Name | None = None
    topic: Text | None = None
    proposal_id: Ref | None = None


@dataclass(frozen=True, kw_only=True)
class OpenNegotiation(ReportedCommand):
    """The parties open negotiations on a proposal."""

    proposal_id: Ref | None = None
    format: Name | None = None


@dataclass(frozen=True, kw_only=True)
class AnswerProposal(ReportedCommand):
    """A party answers the proposal on the table (or the one it names)."""

    by_party: Ref
    proposal_id: Ref | None = field(default=None, metadata={"doc": "Defaults to the proposal on the table."})
    reason: Text | None = None


@dataclass(frozen=True, kw_only=True)
class AcceptProposal(AnswerProposal):
    """A party the proposal was tendered to accepts it."""


@dataclass(frozen=True, kw_only=True)
class RejectProposal(AnswerProposal):
    """A party rejects the proposal: the deal ends."""


@dataclass(frozen=True, kw_only=True)
class WithdrawProposal(AnswerProposal):
    """The party that tendered the proposal withdraws it: the deal ends."""


@dataclass(frozen=True, kw_only=True)
class AnnounceCounterProposal(ReportedCommand):
    """A party announces that it will answer with a counter-proposal."""

    by_party: Ref
    counter_to: Ref | None = field(default=None, metadata={"doc": "Defaults to the proposal on the table."})
    expected_by: datetime | None = None
    summary: Text | None = None


@dataclass(frozen=True, kw_only=True)
class AbandonCounterProposal(ReportedCommand):
    """The party that announced a counter-proposal will not make it."""

    by_party: Ref
    reason: Text | None = None


# ---- authorization, signature, ratification --------------------------------------------------------


@dataclass(frozen=True, kw_only=True)
class WithholdSigning(ReportedCommand):
    """A party's authorizer withholds authorization to sign the proposal on the table."""

    by_party: Ref
    authorizer: Name | None = field(default=None, metadata={"doc": "The person who withheld authorization."})
    signatories_affected: Shorts = ()
    proposal_id: Ref | None = None
    reason_codes: Shorts = ()
    reason_text: Text | None = None


@dataclass(frozen=True, kw_only=True)
class AuthorizeSigning(ReportedCommand):
    """A party's authorizer authorizes its signatories to sign."""

    by_party: Ref
    authorizer: Name | None = None
    signatories: Shorts = ()
    proposal_id: Ref | None = None


@dataclass(frozen=True, kw_only=True)
class AddSignature(ReportedCommand):
    """A signatory party signs the accepted text."""

    party_id: Ref
    signatory: Name | None = field(default=None, metadata={"doc": "The person who signed for the party."})
    place: Name | None = None


@dataclass(frozen=True, kw_only=True)
class VoidSignatureProcess(ReportedCommand):
    """The signatures so far no longer count: the text goes back to negotiation."""

    by_party: Ref
    reason: Text | None = None


@dataclass(frozen=True, kw_only=True)
class SubmitForRatification(ReportedCommand):
    """A ratifier submits the signed deal to its ratifying body."""

    party_id: Ref
    body: Name | None = field(default=None, metadata={"doc": "The ratifying body, e.g. a parliament."})
    instrument_ref: Name | None = None


@dataclass(frozen=True, kw_only=True)
class Ratify(ReportedCommand):
    """A ratifier's body ratifies the deal."""

    party_id: Ref
    body: Name | None = field(default=None, metadata={"doc": "The ratifying body, e.g. a parliament."})
    instrument_ref: Name | None = None
    votes_for: VoteCount | None = None
    votes_against: VoteCount | None = None
    abstentions: VoteCount | None = None


@dataclass(frozen=True, kw_only=True)
class RefuseRatification(ReportedCommand):
    """A ratifier's body refuses to ratify: the deal ends."""

    party_id: Ref
    body: Name | None = field(default=None, metadata={"doc": "The ratifying body, e.g. a parliament."})
    votes_for: VoteCount | None = None
    votes_against: VoteCount | None = None
    abstentions: VoteCount | None = None


@dataclass(frozen=True, kw_only=True)
class EnterIntoForce(ReportedCommand):
    """The deal enters into force."""

    by_party: Ref | None = None
    reason: Text | None = None


@dataclass(frozen=True, kw_only=True)
class TerminateDeal(ReportedCommand):
    """The deal in force is terminated."""

    by_party: Ref | None = None
    reason: Text | None = None


@dataclass(frozen=True, kw_only=True)
class WithdrawDeal(ReportedCommand):
    """A party withdraws from a deal not yet concluded: the deal ends."""

    by_party: Ref
    reason: Text | None = None


@dataclass(frozen=True, kw_only=True)
class DeclareIntentNotToBeBound(ReportedCommand):
    """A signatory declares it will not become a party (Vienna Convention art. 18): the deal ends."""

    by_party: Ref
    reason: Text | None = None


@dataclass(frozen=True, kw_only=True)
class SetDeadline(ReportedCommand):
    """A deadline is set: when it passes, a deal still in negotiation expires."""

    deadline_at: datetime
    applies_to: Short | None = None


@dataclass(frozen=True, kw_only=True)
class PassDeadline(ReportedCommand):
    """The deadline passed with the deal still in negotiation: it expires."""


# ---- conditions, statements, sources, corrections --------------------------------------------------


@dataclass(frozen=True, kw_only=True)
class RaiseCondition(ReportedCommand):
    """A party makes a demand of the deal. A blocking one holds up acceptance, signature and ratification."""

    condition_id: Ref
    raised_by: Ref
    kind: ConditionKind = ConditionKind.OTHER
    text: Words
    legal_basis: Text | None = None
    blocking: bool = True
    proposal_id: Ref | None = None


@dataclass(frozen=True, kw_only=True)
class ResolveCondition(ReportedCommand):
    """Close a standing condition.

    Its outcome: satisfied, waived or withdrawn, it holds nothing up any more; rejected (the demand is refused), it
    still stands.
    """

    outcome: ConditionStatus
    condition_id: Ref
    by_party: Ref
    note: Text | None = None


@dataclass(frozen=True, kw_only=True)
class RecordStatement(ReportedCommand):
    """Someone said something about the deal, on the record."""

    statement_id: Ref
    speaker: Speaker
    quote: Words
    paraphrase: Text | None = None
    stance: Stance = Stance.NEUTRAL
    about_version: Version | None = field(default=None, metadata={"doc": "The version of the event it is about."})
    cameo_code: CameoCode | None = None


@dataclass(frozen=True, kw_only=True)
class AttachSource(Command):
    """One more report of an earlier event."""

    target_version: Version
    source: Source


@dataclass(frozen=True, kw_only=True)
class CorrectEvent(ReportedCommand):
    """Facts of an earlier statement or condition were recorded wrongly: correct them, keeping the record."""

    target_version: Version
    corrected_fields: Annotated[dict[Short, Any], MinLen(1), MaxLen(20)]
    reason: Words


@dataclass(frozen=True, kw_only=True)
class RetractEvent(ReportedCommand):
    """An earlier statement or condition should not have been recorded: retract it, keeping the record."""

    target_version: Version
    reason: Words
