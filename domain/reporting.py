"""What is reported about a deal: conditions, meetings, statements, sources, corrections."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from domain import events as ev
from domain.corrections import CORRECTABLE_FIELDS, replace_coerced, require_time
from domain.errors import AlreadyDone, InvalidValue, UnknownReference
from domain.state import DealState
from domain.values import ConditionKind, ConditionStatus, Source, Speaker, Stance


class ReportVerbs(DealState):
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
        # A rejected demand still stands: it can yet be satisfied, waived or withdrawn, not rejected again.
        if not condition.stands or (outcome is ConditionStatus.REJECTED and not condition.is_open):
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
            require_time(corrected_fields["occurred_at"])
        made: dict[str, dict[str, Any]] = {"statement": self.statements, "condition": self.conditions}
        entity = made.get(kind, {}).get(ident)
        if entity is not None:
            replace_coerced(entity, {k: v for k, v in corrected_fields.items() if k != "occurred_at"})
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
