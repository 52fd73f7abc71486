"""What a deal knows and derives — its parties, proposal on the table, who must sign or ratify — the guards
its verbs share, and the appliers through which events change it."""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime
from typing import TYPE_CHECKING, Any

from domain import events as ev
from domain import rules
from domain.ball import ball_after
from domain.corrections import CORRECTABLE_FIELDS, replace_coerced
from domain.errors import (
    BlockingConditionsOpen,
    ConflictOfInterest,
    IllegalTransition,
    InvalidValue,
    NoSigningAuthority,
    NotAuthorized,
    RolesFixed,
    UnknownReference,
)
from domain.values import (
    Authority,
    Ball,
    Condition,
    ConditionStatus,
    DealStatus,
    Meeting,
    Party,
    Proposal,
    Ratification,
    Representative,
    Role,
    Signature,
    Source,
    Statement,
    require_aware,
)


class DealState:
    """The state every part of the deal works on; events change it only through the appliers below."""

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
        version: int  # the aggregate's (eventsourcing)

        def trigger_event(self, event_class: type[Any], **kwargs: Any) -> None: ...

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

    @property
    def blocking_conditions(self) -> list[Condition]:
        """The conditions that hold up acceptance, signature and ratification now (see domain/rules.py)."""
        return [c for c in self.conditions.values() if c.holds_up_conclusion]

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
        held_up = self._held_up
        return [e for e in allowed if e not in held_up] if held_up else allowed

    @property
    def _held_up(self) -> frozenset[str]:
        """The acts of conclusion the open blocking conditions hold up (none when there are none)."""
        return rules.HELD_UP_BY_BLOCKING_CONDITIONS if self.blocking_conditions else frozenset()

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
        allowed = self.allowed_events
        if event_type in allowed:
            return
        if event_type in self._held_up and event_type in rules.allowed_events(self.status):
            raise BlockingConditionsOpen(
                self.status.value,
                event_type,
                [{"condition_id": c.condition_id, "raised_by": c.raised_by, "kind": c.kind.value, "text": c.text}
                 for c in self.blocking_conditions],
            )
        why = "ratification is outstanding" if event_type == "entered_into_force" else None
        raise IllegalTransition(self.status.value, event_type, allowed, why)

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

    def _require_signing_authority(self, party_id: str, person: str) -> None:
        """Only someone with authority for the party signs for it: its representative with signing powers, or its
        head of state, head of government or foreign minister (who need no full powers). A designation for
        another party gives none for this one."""
        rep = self.representatives.get(f"{party_id}/{person}")
        if rep is not None and rep.may_sign:
            return
        elsewhere = sorted({r.party_id for r in self.representatives.values() if r.name == person} - {party_id})
        if elsewhere:
            why = f"they are designated for {', '.join(elsewhere)}, not for {party_id}"
        elif rep is not None:
            why = (f"they are designated for {party_id} without signing powers, and not as its head of state, head "
                   "of government or foreign minister")
        else:
            why = (f"they are not designated for {party_id}; designate them with signing powers, or as its head of "
                   "state, head of government or foreign minister")
        raise NoSigningAuthority(person, party_id, why)

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
        self.status = rules.DESTINATION[event.type_name]
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
            self.statements[ident] = replace_coerced(self.statements[ident], entity_fields)
        elif kind == "condition":
            self.conditions[ident] = replace_coerced(self.conditions[ident], entity_fields)

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
