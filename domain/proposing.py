"""Tendering proposals and answering them: revisions, counters, acceptance, rejection, withdrawal."""

from __future__ import annotations

from datetime import datetime

from domain import events as ev
from domain.errors import AlreadyDone, InvalidValue, NotAuthorized
from domain.state import DealState
from domain.values import DealStatus, Source, require_aware


class ProposalVerbs(DealState):
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
