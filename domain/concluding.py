"""From authorization to signature, ratification and entry into force — and the ways a deal ends."""

from __future__ import annotations

from datetime import datetime

from domain import events as ev
from domain.errors import AlreadyDone, NotAuthorized
from domain.state import DealState
from domain.values import Source, require_aware


class ConclusionVerbs(DealState):
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
            self._require_signing_authority(party_id, signatory)
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
