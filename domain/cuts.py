"""A deal as it stood at a point of its history: after its Nth event, as of a time in the world (occurred_at),
as the service knew it at a time (known_at, by recorded_at), or both at once.

Facts — events that say something happened — are in view when they happened by `as_of` and were known by
`known_at`. Annotations — corrections, retractions and attached sources — are about an earlier fact: they apply
when they were known by `known_at`, whatever their own occurred_at, as long as the fact they annotate is in view.
A correction of a fact's occurred_at moves the fact on the `as_of` axis once the correction is known.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime

from domain.deal import Deal
from domain.errors import DomainError
from domain.events import DealEvent, DealOpened, EventCorrected, EventRetracted, SourceAttached

ANNOTATIONS = (EventCorrected, EventRetracted, SourceAttached)


@dataclass(frozen=True)
class Cut:
    """Where to stop: by when things happened (as_of) and by when the service knew of them (known_at)."""

    as_of: datetime | None = None
    known_at: datetime | None = None

    def known(self, recorded_at: datetime) -> bool:
        return self.known_at is None or recorded_at <= self.known_at

    def happened(self, occurred_at: datetime) -> bool:
        return self.as_of is None or occurred_at <= self.as_of


@dataclass
class Replay:
    """The deal folded from the events in view; `skipped` are events in view that refer to something that is not
    (e.g. a condition resolved at a time before it was raised), so could not apply."""

    deal: Deal
    applied: list[int] = field(default_factory=list)
    skipped: list[int] = field(default_factory=list)


def target_of(event: DealEvent) -> int | None:
    """The version of the fact an annotation is about; None for a fact."""
    return event.target_version if isinstance(event, ANNOTATIONS) else None


def corrected_occurred_at(event: DealEvent) -> datetime | None:
    """The new occurred_at a correction gives the fact it corrects, if it gives one."""
    if not isinstance(event, EventCorrected):
        return None
    value = event.corrected_fields.get("occurred_at")
    if isinstance(value, datetime):
        return value if value.tzinfo is not None else None
    if isinstance(value, str):
        try:
            parsed = datetime.fromisoformat(value)
        except ValueError:
            return None
        return parsed if parsed.tzinfo is not None else None
    return None


def occurred_overrides(events: Iterable[DealEvent], cut: Cut) -> dict[int, datetime]:
    """Fact version -> its occurred_at as corrected by the corrections known at the cut (the latest one wins)."""
    overrides: dict[int, datetime] = {}
    for event in events:
        moved_to = corrected_occurred_at(event)
        if moved_to is not None and isinstance(event, EventCorrected) and cut.known(event.timestamp):
            overrides[event.target_version] = moved_to
    return overrides


def in_view(
    events: Sequence[DealEvent],
    cut: Cut,
    overrides: Mapping[int, datetime] | None = None,
    in_view_up_to: int = 0,
) -> list[DealEvent]:
    """The events of `events` (in version order) that are in view at the cut.

    `in_view_up_to` says that every version up to it is already in view (folded into a snapshot), so annotations
    on those versions apply; `overrides` are corrected occurred_at times (see occurred_overrides).
    """
    overrides = overrides or {}
    kept: list[DealEvent] = []
    facts: set[int] = set()
    for event in events:
        if not cut.known(event.timestamp):
            continue
        target = target_of(event)
        if target is not None:
            if target <= in_view_up_to or target in facts:
                kept.append(event)
            continue
        if cut.happened(overrides.get(event.originator_version, event.occurred_at)):
            kept.append(event)
            facts.add(event.originator_version)
    return kept


def fold(events: Iterable[DealEvent], deal: Deal | None = None) -> Replay:
    """Apply the events in order onto `deal` (or onto nothing, when the first is the opening).

    The library's `mutate` insists on contiguous versions; a view leaves gaps, so each event is applied
    directly and the deal takes the version and time of the last one applied.
    """
    replay: Replay | None = None if deal is None else Replay(deal)
    for event in events:
        if replay is None:
            if not isinstance(event, DealOpened):
                raise ValueError(f"a deal's history starts with its opening, not {event.type_name}")
            replay = Replay(event.mutate(None))  # type: ignore[arg-type]  # the opening event makes a Deal, never None
            replay.applied.append(event.originator_version)
            continue
        if _apply(replay.deal, event):
            replay.applied.append(event.originator_version)
        else:
            replay.skipped.append(event.originator_version)
    if replay is None:
        raise ValueError("no events to fold")
    return replay


def _apply(deal: Deal, event: DealEvent) -> bool:
    status, last_change, ball = deal.status, deal.last_state_change_at, deal.ball
    try:
        event.apply(deal)
    except (KeyError, DomainError):
        # An event whose subject is out of view (e.g. its condition was raised later in the world): the deal
        # keeps the state it had. Appliers look things up before they assign, so only these can have moved.
        deal.status, deal.last_state_change_at, deal.ball = status, last_change, ball
        return False
    deal.version = event.originator_version
    deal.modified_on = event.timestamp
    return True
