"""The deal: an agreement under negotiation between parties, rebuilt from what happened to it.

Each public method is a verb of the negotiation. It checks the rules, then records one event; the
event's `apply` (in domain.events) changes the deal. Time and identities are always given by the caller.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime
from uuid import UUID

from eventsourcing.domain import Aggregate

from domain import events as ev
from domain.concluding import ConclusionVerbs
from domain.corrections import CORRECTABLE_FIELDS
from domain.errors import AlreadyDone, InvalidValue, UnknownReference
from domain.proposing import ProposalVerbs
from domain.reporting import ReportVerbs
from domain.values import Party, Representative, Role, Source, require_aware


class Deal(ProposalVerbs, ConclusionVerbs, ReportVerbs, Aggregate):
    """An agreement under negotiation, with everything that happened to it."""

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
            office=rep.office,
        )


__all__ = ["CORRECTABLE_FIELDS", "Deal"]
