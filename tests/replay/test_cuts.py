"""domain/cuts.py on its own: which events are in view at a cut, and how they fold."""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime, timedelta
from uuid import uuid4

from domain import Deal, DealEvent
from domain.cuts import Cut, fold, in_view, occurred_overrides
from domain.values import ConditionKind, ConditionStatus, DealStatus, Party, PartyKind, Role, Speaker, Stance

T0 = datetime.fromisoformat("2025-02-12T09:00:00+01:00")
RECORDED = datetime.fromisoformat("2025-03-01T00:00:00+00:00")


def _history() -> list[DealEvent]:
    """Opened and tendered on 12 Feb; a condition raised on 15 Feb and waived on the 14th (reported late); a
    statement on the 13th; then its correction and a correction moving the tender to the 11th. Each event is
    recorded a minute after the one before, from 1 March."""
    deal = Deal.open(uuid4(), "minerals", T0)
    deal.join(Party("US", "United States", PartyKind.STATE, (Role.PROPOSER,)), T0)
    deal.join(Party("UA", "Ukraine", PartyKind.STATE, (Role.COUNTERPARTY,)), T0)
    deal.tender_proposal("v1", "US", ("UA",), ("access",), T0 + timedelta(hours=6))
    deal.raise_condition("c1", "UA", ConditionKind.SECURITY_GUARANTEE, "guarantees", T0 + timedelta(days=3))
    deal.resolve_condition(ConditionStatus.WAIVED, "c1", "UA", T0 + timedelta(days=2))
    deal.record_statement("s1", Speaker(title="official"), "too early", Stance.NEUTRAL, T0 + timedelta(days=1))
    deal.correct_event(7, {"quote": "far too early"}, "misquoted", T0 + timedelta(days=20))
    deal.correct_event(4, {"occurred_at": (T0 - timedelta(days=1)).isoformat()}, "misdated", T0 + timedelta(days=20))
    events: list[DealEvent] = deal.collect_events()  # type: ignore[assignment]
    return [replace(e, timestamp=RECORDED + timedelta(minutes=i)) for i, e in enumerate(events)]


def _view(events: list[DealEvent], **cut: datetime) -> list[int]:
    at = Cut(**cut)
    return [e.originator_version for e in in_view(events, at, occurred_overrides(events, at))]


def test_facts_are_in_view_by_occurred_at_and_annotations_once_known_if_their_fact_is() -> None:
    events = _history()

    on_13_feb = _view(events, as_of=T0 + timedelta(days=1))
    known_before_corrections = _view(events, known_at=RECORDED + timedelta(minutes=6))
    on_13_feb_known_early = _view(events, as_of=T0 + timedelta(days=1), known_at=RECORDED + timedelta(minutes=6))

    assert on_13_feb == [1, 2, 3, 4, 7, 8, 9]  # the tender moved to the 11th; the statement and its correction
    assert known_before_corrections == [1, 2, 3, 4, 5, 6, 7]
    assert on_13_feb_known_early == [1, 2, 3, 4, 7]


def test_a_correction_of_a_fact_out_of_view_is_out_of_view_too() -> None:
    events = _history()

    before_the_statement = _view(events, as_of=T0 + timedelta(hours=12))

    assert 7 not in before_the_statement and 8 not in before_the_statement
    assert 9 in before_the_statement  # the tender's own correction (moved to the 11th) applies


def test_fold_skips_an_event_whose_subject_is_not_in_view_and_keeps_the_state_it_had() -> None:
    events = _history()
    cut = Cut(as_of=T0 + timedelta(days=2, hours=1))  # the waiver (14th) is in view, the condition (15th) is not

    replay = fold(in_view(events, cut, occurred_overrides(events, cut)))

    assert replay.skipped == [6]
    assert replay.deal.conditions == {}
    assert replay.deal.status is DealStatus.PROPOSED
    assert replay.deal.version == 9
    assert replay.deal.statements["s1"].quote == "far too early"


def test_fold_of_every_event_is_the_deal_the_library_rebuilds() -> None:
    events = _history()

    folded = fold(events).deal
    rebuilt = None
    for event in events:
        rebuilt = event.mutate(rebuilt)  # type: ignore[attr-defined]

    assert folded == rebuilt
