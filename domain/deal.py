"""The deal: an agreement under negotiation between parties, rebuilt from what happened to it.

Each public method is a verb of the negotiation. It checks the rules, then records one event; the
event's `apply` (in domain.events) changes the deal. Time and identities are always given by the caller.
"""

from __future__ import annotations

from dataclasses import fields as dataclass_fields
from dataclasses import replace
from datetime import datetime
from enum import Enum
from typing import TYPE_CHECKING, Any
from uuid import UUID

from eventsourcing.domain import Aggregate

from domain import events as ev
from domain import rules
from domain.ball import ball_after
from domain.errors import (
    AlreadyDone,
    ConflictOfInterest,
    IllegalTransition,
    InvalidValue,
    NotAuthorized,
    RolesFixed,
    UnknownReference,
)
from domain.values import (
    Authority,
    Ball,
    Condition,
    ConditionKind,
    ConditionStatus,
    DealStatus,
    Meeting,
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
    require_aware,
)

# What a correction may change, by the kind of thing the corrected event created.
CORRECTABLE_FIELDS: dict[str, frozenset[str]] = {
    "statement": frozenset({"quote", "paraphrase", "stance", "cameo_code", "speaker"}),
    "condition": frozenset({"text", "legal_basis", "kind", "blocking"}),
}


class Deal(Aggregate):
    """An agreement under negotiation, with everything that happened to it."""

    # The deal's state, set by the appliers below (declared for type checkers only: annotations on an
    # eventsourcing aggregate would become constructor arguments).
    if TYPE_CHECKING:
        title: str
        summary: str | None
        requires_ratification: bool
        tags: tuple[str, ...]
        predecessor_deal_id: str | None
        status: DealStatus
        ball: Ball
        parties: dict[str, Party]
        representatives: dict[str, Representative]
        proposals: dict[str, Proposal]
        proposal_on_table: str | None
        accepted_proposal_id: str | None
        counter_announced_by: str | None
        conditions: dict[str, Condition]
        statements: dict[str, Statement]
        meetings: dict[str, Meeting]
        signatures: dict[str, Signature]
        ratifications: dict[str, Ratification]
        deadline_at: datetime | None
        last_state_change_at: datetime
        origins: dict[str, str]
        corrections: dict[str, dict[str, Any]]
        retracted_versions: dict[str, str]

    class Snapshot(Aggregate.Snapshot):
        """The deal's state as stored every N events. JSON has no tuples: tuple-valued facts come back as tuples."""

        def mutate(self, _: None) -> Deal:  # type: ignore[override]
            deal = super().mutate(_)
            deal.tags = tuple(deal.tags)  # type: ignore[attr-defined]
            return deal  # type: ignore[return-value]

    # ---- opening and membership -------------------------------------------------------------

    @classmethod
    def open(
        cls,
        deal_id: UUID,
        title: str,
        occurred_at: datetime,
        summary: str | None = None,
        requires_ratification: bool = False,
        tags: tuple[str, ...] = (),
        predecessor_deal_id: str | None = None,
        sources: tuple[Source, ...] = (),
    ) -> Deal:
        if not title.strip():
            raise InvalidValue("title", "must not be empty")
        require_aware(occurred_at, "occurred_at")
        return cls._create(
            ev.DealOpened,
            id=deal_id,
            title=title,
            summary=summary,
            requires_ratification=requires_ratification,
            tags=tuple(tags),
            predecessor_deal_id=predecessor_deal_id,
            occurred_at=occurred_at,
            sources=tuple(sources),
        )

    def join(self, party: Party, occurred_at: datetime, sources: tuple[Source, ...] = ()) -> None:
        self._allow(ev.PartyJoined)
        if party.party_id in self.parties:
            raise AlreadyDone(f"party {party.party_id} already takes part", party_id=party.party_id)
        self._require_same_duties({**self.parties, party.party_id: party})
        self._record(
            ev.PartyJoined,
            occurred_at,
            sources,
            party_id=party.party_id,
            name=party.name,
            kind=party.kind,
            roles=tuple(dict.fromkeys(party.roles)),
        )

    def assign_role(self, party_id: str, role: Role, occurred_at: datetime, sources: tuple[Source, ...] = ()) -> None:
        self._allow(ev.RoleAssigned)
        if self.party(party_id).holds(role):
            raise AlreadyDone(f"party {party_id} already holds the role {role.value}", party_id=party_id)
        party = self.parties[party_id]
        self._require_same_duties({**self.parties, party_id: replace(party, roles=(*party.roles, role))})
        self._record(ev.RoleAssigned, occurred_at, sources, party_id=party_id, role=role)

    def revoke_role(self, party_id: str, role: Role, occurred_at: datetime, sources: tuple[Source, ...] = ()) -> None:
        self._allow(ev.RoleRevoked)
        if not self.party(party_id).holds(role):
            raise UnknownReference(f"party {party_id} does not hold the role {role.value}", party_id=party_id)
        party = self.parties[party_id]
        roles = tuple(r for r in party.roles if r is not role)
        self._require_same_duties({**self.parties, party_id: replace(party, roles=roles)})
        self._record(ev.RoleRevoked, occurred_at, sources, party_id=party_id, role=role)

    def designate_representative(
        self, rep: Representative, occurred_at: datetime, sources: tuple[Source, ...] = ()
    ) -> None:
        self._allow(ev.RepresentativeDesignated)
        self.party(rep.party_id)
        self._record(
            ev.RepresentativeDesignated,
            occurred_at,
            sources,
            party_id=rep.party_id,
            name=rep.name,
            title=rep.title,
            authority=tuple(dict.fromkeys(rep.authority)),
        )

    # ---- proposals ----------------------------------------------------------------------------

    def tender_proposal(
        self,
        proposal_id: str,
        tendered_by: str,
        tendered_to: tuple[str, ...],
        terms: tuple[str, ...],
        occurred_at: datetime,
        summary: str | None = None,
        delivered_by: str | None = None,
        venue: str | None = None,
        counter_to: str | None = None,
        supersedes: str | None = None,
        respond_by: datetime | None = None,
        document_sha256: str | None = None,
        sources: tuple[Source, ...] = (),
    ) -> None:
        self._allow(ev.ProposalTendered)
        if proposal_id in self.proposals:
            raise AlreadyDone(
                f"proposal {proposal_id} was already tendered; tender a new version", proposal_id=proposal_id
            )
        self.party(tendered_by)
        if not tendered_to:
            raise InvalidValue("tendered_to", "must name at least one party")
        for party_id in tendered_to:
            self.party(party_id)
        if tendered_by in tendered_to:
            raise InvalidValue("tendered_to", "must not include the tendering party")
        for ref in (counter_to, supersedes):
            if ref is not None:
                self.proposal(ref)
        on_table = self.current_proposal
        if on_table is not None and counter_to is None and supersedes is None:
            if on_table.tendered_by == tendered_by:
                supersedes = on_table.proposal_id
            else:
                counter_to = on_table.proposal_id
        require_aware(respond_by, "respond_by")
        self._record(
            ev.ProposalTendered,
            occurred_at,
            sources,
            proposal_id=proposal_id,
            tendered_by=tendered_by,
            tendered_to=tuple(tendered_to),
            terms=tuple(terms),
            summary=summary,
            delivered_by=delivered_by,
            venue=venue,
            counter_to=counter_to,
            supersedes=supersedes,
            respond_by=respond_by,
            document_sha256=document_sha256,
        )

    def open_negotiation(
        self,
        occurred_at: datetime,
        proposal_id: str | None = None,
        format: str | None = None,
        sources: tuple[Source, ...] = (),
    ) -> None:
        self._allow(ev.NegotiationOpened)
        if proposal_id is not None:
            self.proposal(proposal_id)
        self._record(ev.NegotiationOpened, occurred_at, sources, proposal_id=proposal_id, format=format)

    def accept_proposal(
        self,
        by_party: str,
        occurred_at: datetime,
        proposal_id: str | None = None,
        reason: str | None = None,
        sources: tuple[Source, ...] = (),
    ) -> None:
        self._allow(ev.ProposalAccepted)
        proposal = self._answerable(by_party, proposal_id, "accept")
        if by_party not in proposal.tendered_to:
            raise NotAuthorized(f"proposal {proposal.proposal_id} was not tendered to {by_party}", party_id=by_party)
        self._record(
            ev.ProposalAccepted,
            occurred_at,
            sources,
            by_party=by_party,
            proposal_id=proposal.proposal_id,
            reason=reason,
        )

    def reject_proposal(
        self,
        by_party: str,
        occurred_at: datetime,
        proposal_id: str | None = None,
        reason: str | None = None,
        sources: tuple[Source, ...] = (),
    ) -> None:
        self._allow(ev.ProposalRejected)
        proposal = self._answerable(by_party, proposal_id, "reject")
        self._record(
            ev.ProposalRejected,
            occurred_at,
            sources,
            by_party=by_party,
            proposal_id=proposal.proposal_id,
            reason=reason,
        )

    def withdraw_proposal(
        self,
        by_party: str,
        occurred_at: datetime,
        proposal_id: str | None = None,
        reason: str | None = None,
        sources: tuple[Source, ...] = (),
    ) -> None:
        self._allow(ev.ProposalWithdrawn)
        proposal = self._on_table(proposal_id, "withdraw")
        if proposal.tendered_by != by_party:
            raise NotAuthorized(
                f"only {proposal.tendered_by}, who tendered it, can withdraw proposal {proposal.proposal_id}",
                party_id=by_party,
            )
        self._record(
            ev.ProposalWithdrawn,
            occurred_at,
            sources,
            by_party=by_party,
            proposal_id=proposal.proposal_id,
            reason=reason,
        )

    def announce_counter_proposal(
        self,
        by_party: str,
        occurred_at: datetime,
        counter_to: str | None = None,
        expected_by: datetime | None = None,
        summary: str | None = None,
        sources: tuple[Source, ...] = (),
    ) -> None:
        self._allow(ev.CounterProposalAnnounced)
        proposal = self._answerable(by_party, counter_to, "announce a counter-proposal to")
        require_aware(expected_by, "expected_by")
        self._record(
            ev.CounterProposalAnnounced,
            occurred_at,
            sources,
            by_party=by_party,
            counter_to=proposal.proposal_id,
            expected_by=expected_by,
            summary=summary,
        )

    def abandon_counter_proposal(
        self, by_party: str, occurred_at: datetime, reason: str | None = None, sources: tuple[Source, ...] = ()
    ) -> None:
        self._allow(ev.CounterProposalAbandoned)
        self.party(by_party)
        if self.status is DealStatus.COUNTER_PROPOSAL_PENDING and by_party != self.counter_announced_by:
            raise NotAuthorized(
                f"the counter-proposal was announced by {self.counter_announced_by}, not {by_party}", party_id=by_party
            )
        self._record(ev.CounterProposalAbandoned, occurred_at, sources, by_party=by_party, reason=reason)

    # ---- authorization and signature ----------------------------------------------------------

    def withhold_signing(
        self,
        by_party: str,
        occurred_at: datetime,
        authorizer: str | None = None,
        signatories_affected: tuple[str, ...] = (),
        reason_codes: tuple[str, ...] = (),
        reason_text: str | None = None,
        proposal_id: str | None = None,
        sources: tuple[Source, ...] = (),
    ) -> None:
        self._allow(ev.SigningWithheld)
        proposal = self._answerable(by_party, proposal_id, "withhold signing on")
        self._require_authorizer(by_party, authorizer)
        self._record(
            ev.SigningWithheld,
            occurred_at,
            sources,
            by_party=by_party,
            authorizer=authorizer,
            signatories_affected=tuple(signatories_affected),
            proposal_id=proposal.proposal_id,
            reason_codes=tuple(reason_codes),
            reason_text=reason_text,
        )

    def authorize_signing(
        self,
        by_party: str,
        occurred_at: datetime,
        authorizer: str | None = None,
        signatories: tuple[str, ...] = (),
        proposal_id: str | None = None,
        sources: tuple[Source, ...] = (),
    ) -> None:
        self._allow(ev.SigningAuthorized)
        proposal = self._on_table(proposal_id, "authorize signing of")
        self._require_authorizer(by_party, authorizer)
        self._record(
            ev.SigningAuthorized,
            occurred_at,
            sources,
            by_party=by_party,
            authorizer=authorizer,
            signatories=tuple(signatories),
            proposal_id=proposal.proposal_id,
        )

    def add_signature(
        self,
        party_id: str,
        occurred_at: datetime,
        signatory: str | None = None,
        place: str | None = None,
        sources: tuple[Source, ...] = (),
    ) -> None:
        self._allow(ev.SignatureAdded)
        if party_id not in self.required_signatories:
            raise NotAuthorized(f"{party_id} is not a signatory of this deal", party_id=party_id)
        if party_id in self.signatures:
            raise AlreadyDone(f"{party_id} has already signed", party_id=party_id)
        if signatory is not None:
            self._require_person_may(party_id, signatory, Authority.SIGN)
        self._record(
            ev.SignatureAdded,
            occurred_at,
            sources,
            party_id=party_id,
            signatory=signatory,
            place=place,
            proposal_id=self.accepted_proposal_id,
        )

    def void_signature_process(
        self, by_party: str, occurred_at: datetime, reason: str | None = None, sources: tuple[Source, ...] = ()
    ) -> None:
        self._allow(ev.SignatureProcessVoided)
        self.party(by_party)
        self._record(ev.SignatureProcessVoided, occurred_at, sources, by_party=by_party, reason=reason)

    # ---- ratification and after ---------------------------------------------------------------

    def submit_for_ratification(
        self,
        party_id: str,
        occurred_at: datetime,
        body: str | None = None,
        instrument_ref: str | None = None,
        sources: tuple[Source, ...] = (),
    ) -> None:
        self._allow(ev.RatificationSubmitted)
        self._require_ratifier(party_id)
        self._record(
            ev.RatificationSubmitted,
            occurred_at,
            sources,
            party_id=party_id,
            body=body,
            instrument_ref=instrument_ref,
            votes_for=None,
            votes_against=None,
            abstentions=None,
        )

    def ratify(
        self,
        party_id: str,
        occurred_at: datetime,
        body: str | None = None,
        instrument_ref: str | None = None,
        votes_for: int | None = None,
        votes_against: int | None = None,
        abstentions: int | None = None,
        sources: tuple[Source, ...] = (),
    ) -> None:
        self._allow(ev.Ratified)
        self._require_ratifier(party_id)
        if party_id in self.ratifications:
            raise AlreadyDone(f"{party_id} has already ratified", party_id=party_id)
        self._record(
            ev.Ratified,
            occurred_at,
            sources,
            party_id=party_id,
            body=body,
            instrument_ref=instrument_ref,
            votes_for=votes_for,
            votes_against=votes_against,
            abstentions=abstentions,
        )

    def refuse_ratification(
        self,
        party_id: str,
        occurred_at: datetime,
        body: str | None = None,
        votes_for: int | None = None,
        votes_against: int | None = None,
        abstentions: int | None = None,
        sources: tuple[Source, ...] = (),
    ) -> None:
        self._allow(ev.RatificationRefused)
        self._require_ratifier(party_id)
        self._record(
            ev.RatificationRefused,
            occurred_at,
            sources,
            party_id=party_id,
            body=body,
            instrument_ref=None,
            votes_for=votes_for,
            votes_against=votes_against,
            abstentions=abstentions,
        )

    def enter_into_force(
        self,
        occurred_at: datetime,
        by_party: str | None = None,
        reason: str | None = None,
        sources: tuple[Source, ...] = (),
    ) -> None:
        self._allow(ev.EnteredIntoForce)
        self._optional_party(by_party)
        self._record(ev.EnteredIntoForce, occurred_at, sources, by_party=by_party, reason=reason)

    def terminate(
        self,
        occurred_at: datetime,
        by_party: str | None = None,
        reason: str | None = None,
        sources: tuple[Source, ...] = (),
    ) -> None:
        self._allow(ev.DealTerminated)
        self._optional_party(by_party)
        self._record(ev.DealTerminated, occurred_at, sources, by_party=by_party, reason=reason)

    def withdraw(
        self, by_party: str, occurred_at: datetime, reason: str | None = None, sources: tuple[Source, ...] = ()
    ) -> None:
        self._allow(ev.DealWithdrawn)
        self.party(by_party)
        self._record(ev.DealWithdrawn, occurred_at, sources, by_party=by_party, reason=reason)

    def declare_intent_not_to_be_bound(
        self, by_party: str, occurred_at: datetime, reason: str | None = None, sources: tuple[Source, ...] = ()
    ) -> None:
        self._allow(ev.IntentNotToBeBoundDeclared)
        self.party(by_party)
        self._record(ev.IntentNotToBeBoundDeclared, occurred_at, sources, by_party=by_party, reason=reason)

    def set_deadline(
        self,
        deadline_at: datetime,
        occurred_at: datetime,
        applies_to: str | None = None,
        sources: tuple[Source, ...] = (),
    ) -> None:
        self._allow(ev.DeadlineSet)
        require_aware(deadline_at, "deadline_at")
        self._record(ev.DeadlineSet, occurred_at, sources, deadline_at=deadline_at, applies_to=applies_to)

    def pass_deadline(self, occurred_at: datetime, sources: tuple[Source, ...] = ()) -> None:
        self._allow(ev.DeadlinePassed)
        self._record(ev.DeadlinePassed, occurred_at, sources, deadline_at=self.deadline_at)

    # ---- conditions, meetings, statements, sources, corrections -------------------------------

    def raise_condition(
        self,
        condition_id: str,
        raised_by: str,
        kind: ConditionKind,
        text: str,
        occurred_at: datetime,
        blocking: bool = True,
        legal_basis: str | None = None,
        proposal_id: str | None = None,
        sources: tuple[Source, ...] = (),
    ) -> None:
        self._allow(ev.ConditionRaised)
        if condition_id in self.conditions:
            raise AlreadyDone(f"condition {condition_id} was already raised", condition_id=condition_id)
        self.party(raised_by)
        if proposal_id is not None:
            self.proposal(proposal_id)
        if not text.strip():
            raise InvalidValue("text", "must not be empty")
        self._record(
            ev.ConditionRaised,
            occurred_at,
            sources,
            condition_id=condition_id,
            raised_by=raised_by,
            kind=kind,
            text=text,
            legal_basis=legal_basis,
            blocking=blocking,
            proposal_id=proposal_id,
        )

    def resolve_condition(
        self,
        outcome: ConditionStatus,
        condition_id: str,
        by_party: str,
        occurred_at: datetime,
        note: str | None = None,
        sources: tuple[Source, ...] = (),
    ) -> None:
        """Close an open condition as satisfied, waived, withdrawn or rejected."""
        event_class = {
            ConditionStatus.SATISFIED: ev.ConditionSatisfied,
            ConditionStatus.WAIVED: ev.ConditionWaived,
            ConditionStatus.WITHDRAWN: ev.ConditionWithdrawn,
            ConditionStatus.REJECTED: ev.ConditionRejected,
        }.get(outcome)
        if event_class is None:
            raise InvalidValue("outcome", "must be satisfied, waived, withdrawn or rejected")
        self._allow(event_class)
        condition = self.conditions.get(condition_id)
        if condition is None:
            raise UnknownReference(f"no condition {condition_id} was raised", condition_id=condition_id)
        if not condition.is_open:
            raise AlreadyDone(
                f"condition {condition_id} is already {condition.status.value}", condition_id=condition_id
            )
        self.party(by_party)
        self._record(event_class, occurred_at, sources, condition_id=condition_id, by_party=by_party, note=note)

    def hold_meeting(
        self,
        participants: tuple[str, ...],
        occurred_at: datetime,
        venue: str | None = None,
        topic: str | None = None,
        proposal_id: str | None = None,
        sources: tuple[Source, ...] = (),
    ) -> None:
        self._allow(ev.MeetingHeld)
        if not participants:
            raise InvalidValue("participants", "must name at least one participant")
        if proposal_id is not None:
            self.proposal(proposal_id)
        self._record(
            ev.MeetingHeld,
            occurred_at,
            sources,
            participants=tuple(participants),
            venue=venue,
            topic=topic,
            proposal_id=proposal_id,
        )

    def record_statement(
        self,
        statement_id: str,
        speaker: Speaker,
        quote: str,
        stance: Stance,
        occurred_at: datetime,
        paraphrase: str | None = None,
        about_version: int | None = None,
        cameo_code: str | None = None,
        sources: tuple[Source, ...] = (),
    ) -> None:
        self._allow(ev.StatementRecorded)
        if statement_id in self.statements:
            raise AlreadyDone(f"statement {statement_id} was already recorded", statement_id=statement_id)
        self._optional_party(speaker.party_id)
        if about_version is not None:
            self._require_version(about_version, "about_version")
        if not quote.strip():
            raise InvalidValue("quote", "must not be empty")
        self._record(
            ev.StatementRecorded,
            occurred_at,
            sources,
            statement_id=statement_id,
            speaker=speaker,
            quote=quote,
            paraphrase=paraphrase,
            stance=stance,
            about_version=about_version,
            cameo_code=cameo_code,
        )

    def attach_source(self, target_version: int, source: Source, occurred_at: datetime) -> None:
        self._allow(ev.SourceAttached)
        self._require_version(target_version, "target_version")
        self._record(ev.SourceAttached, occurred_at, (), target_version=target_version, source=source)

    def correct_event(
        self,
        target_version: int,
        corrected_fields: dict[str, Any],
        reason: str,
        occurred_at: datetime,
        sources: tuple[Source, ...] = (),
    ) -> None:
        self._allow(ev.EventCorrected)
        self._require_version(target_version, "target_version")
        if not corrected_fields:
            raise InvalidValue("corrected_fields", "must name at least one field")
        kind, _, ident = self.origins.get(str(target_version), "").partition(":")
        allowed = CORRECTABLE_FIELDS.get(kind, frozenset()) | {"occurred_at"}
        unknown = sorted(set(corrected_fields) - allowed)
        if unknown:
            raise InvalidValue(
                "corrected_fields",
                f"cannot correct {', '.join(unknown)} of event {target_version}; "
                f"correctable: {', '.join(sorted(allowed))}",
            )
        # The applier must not fail half way (nor on replay), so the new values are checked here.
        if "occurred_at" in corrected_fields:
            _require_time(corrected_fields["occurred_at"])
        entity = {"statement": self.statements, "condition": self.conditions}.get(kind, {}).get(ident)
        if entity is not None:
            _replace_coerced(entity, {k: v for k, v in corrected_fields.items() if k != "occurred_at"})
        self._record(
            ev.EventCorrected,
            occurred_at,
            sources,
            target_version=target_version,
            corrected_fields=dict(corrected_fields),
            reason=reason,
        )

    def retract_event(
        self, target_version: int, reason: str, occurred_at: datetime, sources: tuple[Source, ...] = ()
    ) -> None:
        self._allow(ev.EventRetracted)
        self._require_version(target_version, "target_version")
        if str(target_version) not in self.origins:
            raise InvalidValue(
                "target_version",
                "only statements and conditions can be retracted; "
                "a change of state is undone by the events that follow it",
            )
        if str(target_version) in self.retracted_versions:
            raise AlreadyDone(f"event {target_version} was already retracted", target_version=target_version)
        self._record(ev.EventRetracted, occurred_at, sources, target_version=target_version, reason=reason)

    # ---- derived views --------------------------------------------------------------------------

    def party(self, party_id: str) -> Party:
        party = self.parties.get(party_id)
        if party is None:
            raise UnknownReference(f"party {party_id} does not take part in this deal", party_id=party_id)
        return party

    def proposal(self, proposal_id: str) -> Proposal:
        proposal = self.proposals.get(proposal_id)
        if proposal is None:
            raise UnknownReference(f"no proposal {proposal_id} was tendered", proposal_id=proposal_id)
        return proposal

    @property
    def current_proposal(self) -> Proposal | None:
        return self.proposals.get(self.proposal_on_table) if self.proposal_on_table else None

    @property
    def open_conditions(self) -> list[Condition]:
        return [c for c in self.conditions.values() if c.is_open]

    def parties_with(self, role: Role) -> list[str]:
        return [p.party_id for p in self.parties.values() if p.holds(role)]

    @property
    def required_signatories(self) -> list[str]:
        return _signatories(self.parties)

    @property
    def required_ratifiers(self) -> list[str]:
        return _ratifiers(self.parties)

    @property
    def allowed_events(self) -> list[str]:
        allowed = rules.allowed_events(self.status)
        if self._ratification_outstanding:
            allowed.remove("entered_into_force")
        return allowed

    @property
    def _ratification_outstanding(self) -> bool:
        return self.status is DealStatus.SIGNED and self.requires_ratification

    # ---- guards ---------------------------------------------------------------------------------

    def _record(
        self, event_class: type[ev.DealEvent], occurred_at: datetime, sources: tuple[Source, ...], **facts: Any
    ) -> None:
        require_aware(occurred_at, "occurred_at")
        rules.require_allowed(self.status, event_class.type_name)
        if event_class.changes_state:
            rules.require_in_order(occurred_at, self.last_state_change_at)
        self.trigger_event(event_class, occurred_at=occurred_at, sources=tuple(sources), **facts)

    def _allow(self, event_class: type[ev.DealEvent]) -> None:
        """Whether the deal takes this kind of event now is decided before the event's facts are checked."""
        event_type = event_class.type_name
        if event_type not in self.allowed_events:
            why = "ratification is outstanding" if event_type == "entered_into_force" else None
            raise IllegalTransition(self.status.value, event_type, self.allowed_events, why)

    def _on_table(self, proposal_id: str | None, act: str) -> Proposal:
        proposal = self.current_proposal
        if proposal is None:
            raise UnknownReference(f"there is no proposal on the table to {act}")
        if proposal_id is not None and proposal_id != proposal.proposal_id:
            self.proposal(proposal_id)
            raise UnknownReference(
                f"proposal {proposal_id} is not the one on the table ({proposal.proposal_id})", proposal_id=proposal_id
            )
        return proposal

    def _answerable(self, by_party: str, proposal_id: str | None, act: str) -> Proposal:
        self.party(by_party)
        proposal = self._on_table(proposal_id, act)
        if proposal.tendered_by == by_party:
            raise ConflictOfInterest(
                f"{by_party} tendered proposal {proposal.proposal_id} and cannot {act} it",
                party_id=by_party,
                proposal_id=proposal.proposal_id,
            )
        return proposal

    def _require_authorizer(self, by_party: str, authorizer: str | None) -> None:
        if not self.party(by_party).holds(Role.AUTHORIZER):
            raise NotAuthorized(f"{by_party} does not hold the authorizer role", party_id=by_party)
        if authorizer is not None:
            self._require_person_may(by_party, authorizer, Authority.AUTHORIZE)

    def _require_person_may(self, party_id: str, person: str, authority: Authority) -> None:
        """A designated representative acts only within their authority; heads of state need no full powers."""
        rep = self.representatives.get(f"{party_id}/{person}")
        if rep is not None and not rep.may(authority):
            raise NotAuthorized(f"{person} has no authority to {authority.value} for {party_id}", party_id=party_id)

    def _require_same_duties(self, parties: dict[str, Party]) -> None:
        """Who must sign (ratify) is fixed while signatures (ratifications) are being collected: a change of roles
        would otherwise complete the collection, or reopen it, without anyone signing (ratifying)."""
        for collecting, duty, required in (
            (DealStatus.SIGNATURE_PENDING, "sign", _signatories),
            (DealStatus.RATIFICATION_PENDING, "ratify", _ratifiers),
        ):
            if self.status is collecting and set(required(parties)) != set(required(self.parties)):
                raise RolesFixed(
                    f"who must {duty} cannot change while the deal is {collecting.value}"
                    + ("; void the signature process first" if duty == "sign" else ""),
                    current_status=collecting.value,
                    required=required(self.parties),
                )

    def _require_ratifier(self, party_id: str) -> None:
        self.party(party_id)
        if party_id not in self.required_ratifiers:
            raise NotAuthorized(f"{party_id} does not ratify this deal", party_id=party_id)

    def _optional_party(self, party_id: str | None) -> None:
        if party_id is not None:
            self.party(party_id)

    def _require_version(self, version: int, field: str) -> None:
        if not 1 <= version <= self.version:
            raise InvalidValue(field, f"must name an event of this deal (1 to {self.version})")

    # ---- appliers, called by events only ------------------------------------------------------

    def _open(self, opened: ev.DealOpened) -> None:
        self.title = opened.title
        self.summary = opened.summary
        self.requires_ratification = opened.requires_ratification
        self.tags = tuple(opened.tags)
        self.predecessor_deal_id = opened.predecessor_deal_id
        self.status = DealStatus.DRAFT
        self.last_state_change_at = opened.occurred_at
        self.parties, self.representatives, self.proposals = {}, {}, {}
        self.proposal_on_table = self.accepted_proposal_id = self.counter_announced_by = None
        self.conditions, self.statements, self.meetings = {}, {}, {}
        self.signatures, self.ratifications = {}, {}
        self.deadline_at = None
        self.origins, self.corrections, self.retracted_versions = {}, {}, {}
        self.ball = Ball((), opened.occurred_at, "the deal was opened")

    def _move(self, event: ev.DealEvent) -> None:
        self.status = rules.next_status(self.status, event.type_name)
        self.last_state_change_at = event.occurred_at

    def _settle(self) -> None:
        """Signatures and ratifications complete once the last required party has acted."""
        if (
            self.status is DealStatus.SIGNATURE_PENDING
            and self.signatures
            and all(p in self.signatures for p in self.required_signatories)
        ):
            self.status = DealStatus.SIGNED
        if (
            self.status is DealStatus.RATIFICATION_PENDING
            and self.ratifications
            and all(p in self.ratifications for p in self.required_ratifiers)
        ):
            self.status = DealStatus.RATIFIED

    def _refresh_ball(self, event: ev.DealEvent) -> None:
        self._settle()
        ball = ball_after(self, event)
        if ball.party_ids != self.ball.party_ids or ball.reason != self.ball.reason:
            self.ball = ball

    def _correct(self, target_version: int, fields: dict[str, Any]) -> None:
        key = str(target_version)
        self.corrections[key] = {**self.corrections.get(key, {}), **fields}
        origin = self.origins.get(key, "")
        kind, _, ident = origin.partition(":")
        entity_fields = {k: v for k, v in fields.items() if k in CORRECTABLE_FIELDS.get(kind, ())}
        if kind == "statement":
            self.statements[ident] = _replace_coerced(self.statements[ident], entity_fields)
        elif kind == "condition":
            self.conditions[ident] = _replace_coerced(self.conditions[ident], entity_fields)

    def _retract(self, target_version: int) -> None:
        key = str(target_version)
        kind, _, ident = self.origins[key].partition(":")
        self.retracted_versions[key] = kind
        if kind == "statement":
            self.statements[ident] = replace(self.statements[ident], retracted=True)
        elif kind == "condition":
            self.conditions[ident] = replace(self.conditions[ident], status=ConditionStatus.WITHDRAWN)


def _with_role(parties: dict[str, Party], role: Role) -> list[str]:
    return [p.party_id for p in parties.values() if p.holds(role)]


def _signatories(parties: dict[str, Party]) -> list[str]:
    """The parties that must sign: the signatories, or else the proposers and counterparties."""
    return _with_role(parties, Role.SIGNATORY) or _with_role(parties, Role.PROPOSER) + _with_role(
        parties, Role.COUNTERPARTY
    )


def _ratifiers(parties: dict[str, Party]) -> list[str]:
    return _with_role(parties, Role.RATIFIER) or _signatories(parties)


def _replace_coerced(obj: Any, changes: dict[str, Any]) -> Any:
    """Apply corrected fields, turning their recorded plain values back into value types.

    Raises InvalidValue for a value that is not one of the field's type (an unknown stance, "false" for a flag).
    """
    types = {f.name: f.type for f in dataclass_fields(obj)}
    coerced: dict[str, Any] = {}
    for name, value in changes.items():
        declared = types[name]
        optional = declared.endswith(" | None")
        kind = _CORRECTABLE_TYPES[declared.removesuffix(" | None")]
        field = f"corrected_fields.{name}"
        try:
            if issubclass(kind, Enum) and isinstance(value, str):
                value = kind(value)
            elif kind is Speaker and isinstance(value, dict):
                value = Speaker(**value)
        except (ValueError, TypeError):
            raise InvalidValue(field, f"is not a valid {name}") from None
        if value is None and optional:
            pass
        elif not isinstance(value, kind):
            raise InvalidValue(field, f"must be {_TYPE_WORDS.get(kind, 'a ' + kind.__name__)}")
        elif isinstance(value, str) and not value.strip():
            raise InvalidValue(field, "must not be empty")
        coerced[name] = value
    return replace(obj, **coerced)


_CORRECTABLE_TYPES: dict[str, type] = {
    "str": str,
    "bool": bool,
    "Speaker": Speaker,
    "Stance": Stance,
    "ConditionKind": ConditionKind,
}

_TYPE_WORDS: dict[type, str] = {str: "text", bool: "true or false"}


def _require_time(value: Any) -> None:
    """A corrected occurred_at is a time with its offset (or its ISO 8601 text, as a client posts it)."""
    field = "corrected_fields.occurred_at"
    if isinstance(value, str):
        try:
            value = datetime.fromisoformat(value)
        except ValueError:
            raise InvalidValue(field, "must be an ISO 8601 time") from None
    if not isinstance(value, datetime):
        raise InvalidValue(field, "must be a time")
    require_aware(value, field)


__all__ = ["CORRECTABLE_FIELDS", "Deal", "PartyKind"]
