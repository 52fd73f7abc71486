"""A deal as it stood: after its Nth event, as of a time in the world, as the service knew it at a time.

By version, the library's repository starts from the newest snapshot at or below N. By as_of/known_at, the
timeline index gives the last version before which everything is in view; the fold starts from the snapshot at
or below it and applies only the later events still in view (domain/cuts.py decides which).
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any, cast
from uuid import UUID

from domain import Deal, DealEvent
from domain.cuts import Cut, Replay, fold, in_view
from domain.errors import InvalidValue
from service.application import DealNotFound
from service.storage.event_index import EventIndexRecorder, Extent, from_us, index_row, to_us

if TYPE_CHECKING:
    from service.application import DealsApplication


class OutsideHistory(InvalidValue):
    """Raised when a version or time asked for lies outside the deal's history."""

    code = "outside_history"


def deal_at(
    app: DealsApplication,
    deal_id: UUID,
    *,
    version: int | None = None,
    as_of: datetime | None = None,
    known_at: datetime | None = None,
) -> Replay:
    """The deal after its `version`th event, or as it stood at the cut (as_of and/or known_at)."""
    if version is not None:
        if as_of is not None or known_at is not None:
            raise InvalidValue("version", "cannot be combined with as_of or known_at")
        return _at_version(app, deal_id, version)
    if as_of is None and known_at is None:
        return Replay(app.get_deal(deal_id))
    return _at_cut(app, deal_id, Cut(as_of, known_at))


def _at_version(app: DealsApplication, deal_id: UUID, version: int) -> Replay:
    deal = app.get_deal(deal_id, version=version)
    if deal.version < version:
        raise OutsideHistory("version", f"must be between 1 and {deal.version}, the deal's current version")
    return Replay(deal, applied=list(range(1, version + 1)))


def _at_cut(app: DealsApplication, deal_id: UUID, cut: Cut) -> Replay:
    recorder = event_index_recorder(app)
    known_us = None if cut.known_at is None else to_us(cut.known_at)
    as_of_us = None if cut.as_of is None else to_us(cut.as_of)
    facts = recorder.cut_facts(deal_id, as_of_us, known_us)
    if facts is not None and not facts.extent.complete:
        indexed_extent(app, recorder, deal_id)
        facts = recorder.cut_facts(deal_id, as_of_us, known_us)
    if facts is None:
        raise DealNotFound(deal_id)
    moved = dict(facts.moved)
    _require_within(cut, facts.extent, moved.get(1))

    whole_up_to = facts.extent.last_version if facts.first_out_of_view is None else facts.first_out_of_view - 1
    if moved:
        whole_up_to = min(whole_up_to, min(moved) - 1)
    base = _snapshot_at_or_below(app, deal_id, whole_up_to)
    base_version = 0 if base is None else base.version
    stored = recorder.select_for_cut(deal_id, base_version, whole_up_to, as_of_us, known_us, list(moved))
    events = cast(list[DealEvent], [app.mapper.to_domain_event(s) for s in stored])
    overrides = {v: from_us(us) for v, us in moved.items()}
    return fold(in_view(events, cut, overrides, in_view_up_to=base_version), base)


def _require_within(cut: Cut, extent: Extent, opening_moved_us: int | None) -> None:
    now = datetime.now(UTC)
    opened_occurred = from_us(opening_moved_us or extent.opened_occurred_us or 0)
    opened_recorded = from_us(extent.opened_recorded_us or 0)
    if cut.as_of is not None:
        if cut.as_of < opened_occurred:
            raise OutsideHistory("as_of", f"is before the deal was opened ({opened_occurred.isoformat()})")
        if cut.as_of > now:
            raise OutsideHistory("as_of", f"is in the future; the history ends now ({now.isoformat()})")
    if cut.known_at is not None:
        if cut.known_at < opened_recorded:
            raise OutsideHistory(
                "known_at", f"is before the service recorded the deal ({opened_recorded.isoformat()})"
            )
        if cut.known_at > now:
            raise OutsideHistory("known_at", f"is in the future; the history ends now ({now.isoformat()})")


def _snapshot_at_or_below(app: DealsApplication, deal_id: UUID, version: int) -> Deal | None:
    if app.snapshots is None or version < 1:
        return None
    for snapshot in app.snapshots.get(deal_id, lte=version, desc=True, limit=1):
        return cast(Deal, snapshot.mutate(None))  # type: ignore[attr-defined]  # a stored snapshot; the library types it as its event protocol
    return None


def indexed_extent(app: DealsApplication, recorder: EventIndexRecorder, deal_id: UUID) -> Extent:
    """The deal's extent, first indexing its events if they were recorded before the index existed."""
    extent = recorder.deal_extent(deal_id)
    if extent is None:
        raise DealNotFound(deal_id)
    if not extent.complete:
        recorder.insert_timeline([index_row(e) for e in app.events.get(deal_id)])  # type: ignore[arg-type]  # the log's events are DealEvents; the library types them as a protocol
        extent = recorder.deal_extent(deal_id)
        assert extent is not None
    return extent


def event_index_recorder(app: DealsApplication) -> EventIndexRecorder:
    recorder: Any = app.recorder
    if not isinstance(recorder, EventIndexRecorder):
        raise TypeError(
            f"{type(recorder).__name__} keeps no timeline index; construct the application from "
            "storage.environment.eventsourcing_env"
        )
    return recorder
