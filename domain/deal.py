"""The deal: an agreement under negotiation between parties, rebuilt from what happened to it.

Each public method is a verb of the negotiation. It checks the rules, then records one event; the
event's `apply` (in domain.events) changes the deal. Time and identities are always given by the caller.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from datetime import datetime
from typing import Any, cast
from uuid import UUID

from eventsourcing.domain import Aggregate

from domain import commands as c
from domain import events as ev
from domain.concluding import ConclusionVerbs
from domain.corrections import CORRECTABLE_FIELDS
from domain.errors import AlreadyDone, InvalidValue, UnknownReference
from domain.proposing import ProposalVerbs
from domain.reporting import ReportVerbs
from domain.values import Party, Representative, Role, Source, require_aware


class Deal(ProposalVerbs, ConclusionVerbs, ReportVerbs, Aggregate):
    """An agreement under negotiation, with everything that happened to it."""

    class Snapshot(Aggregate.Snapshot):  # type: ignore[misc,valid-type]  # eventsourcing declares Snapshot as a class attribute
        """The deal's state as stored every N events. JSON has no tuples: tuple-valued facts come back as tuples."""

        def mutate(self, _: None) -> Deal:
            deal = cast(Deal, super().mutate(_))
            deal.tags = tuple(deal.tags)
            return deal

    # ---- deciding commands ------------------------------------------------------------------

    @classmethod
    def opened_by(cls, command: c.OpenDeal) -> Deal:
        """The deal the command opens."""
        return cls.open(**vars(command))

    def handle(self, command: c.Command) -> None:
        """Decide the command: record its event, or raise the rule it breaks (and record nothing)."""
        try:
            decide = _HANDLERS[type(command)]
        except KeyError:
            raise TypeError(f"a deal does not handle {type(command).__name__}") from None
        decide(self, command)

    def copy(self) -> Deal:
        """A twin that later commands may change while this deal stays as it is.

        The deal's facts are immutable values held in dicts that the appliers only ever rebind entries of, so
        copying those dicts (not the values) is enough: cheap, and what lets one committed state be shared."""
        if self.pending_events:
            raise RuntimeError("a deal with events not yet saved is not copied")
        twin = object.__new__(type(self))
        twin.__dict__.update(
            {name: dict(value) if type(value) is dict else list(value) if type(value) is list else value
             for name, value in self.__dict__.items()}
        )
        return twin

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
            office=rep.office,
        )


def _verb(method: Callable[..., None]) -> Callable[[Deal, Any], None]:
    """A verb whose arguments are the command's fields."""
    return lambda deal, command: method(deal, **vars(command))


def _join(deal: Deal, command: c.JoinParty) -> None:
    party = Party(command.party_id, command.name, command.kind, command.roles)
    deal.join(party, command.occurred_at, command.sources)


def _designate(deal: Deal, command: c.DesignateRepresentative) -> None:
    rep = Representative(command.party_id, command.name, command.title, command.authority, command.office)
    deal.designate_representative(rep, command.occurred_at, command.sources)


# Each command, by its class, to the verb that decides it.
_HANDLERS: dict[type[c.Command], Callable[[Deal, Any], None]] = {
    c.JoinParty: _join,
    c.AssignRole: _verb(Deal.assign_role),
    c.RevokeRole: _verb(Deal.revoke_role),
    c.DesignateRepresentative: _designate,
    c.TenderProposal: _verb(Deal.tender_proposal),
    c.HoldMeeting: _verb(Deal.hold_meeting),
    c.OpenNegotiation: _verb(Deal.open_negotiation),
    c.AcceptProposal: _verb(Deal.accept_proposal),
    c.RejectProposal: _verb(Deal.reject_proposal),
    c.WithdrawProposal: _verb(Deal.withdraw_proposal),
    c.AnnounceCounterProposal: _verb(Deal.announce_counter_proposal),
    c.AbandonCounterProposal: _verb(Deal.abandon_counter_proposal),
    c.WithholdSigning: _verb(Deal.withhold_signing),
    c.AuthorizeSigning: _verb(Deal.authorize_signing),
    c.AddSignature: _verb(Deal.add_signature),
    c.VoidSignatureProcess: _verb(Deal.void_signature_process),
    c.SubmitForRatification: _verb(Deal.submit_for_ratification),
    c.Ratify: _verb(Deal.ratify),
    c.RefuseRatification: _verb(Deal.refuse_ratification),
    c.EnterIntoForce: _verb(Deal.enter_into_force),
    c.TerminateDeal: _verb(Deal.terminate),
    c.WithdrawDeal: _verb(Deal.withdraw),
    c.DeclareIntentNotToBeBound: _verb(Deal.declare_intent_not_to_be_bound),
    c.SetDeadline: _verb(Deal.set_deadline),
    c.PassDeadline: _verb(Deal.pass_deadline),
    c.RaiseCondition: _verb(Deal.raise_condition),
    c.ResolveCondition: _verb(Deal.resolve_condition),
    c.RecordStatement: _verb(Deal.record_statement),
    c.AttachSource: _verb(Deal.attach_source),
    c.CorrectEvent: _verb(Deal.correct_event),
    c.RetractEvent: _verb(Deal.retract_event),
}

__all__ = ["CORRECTABLE_FIELDS", "Deal"]
