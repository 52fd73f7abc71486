"""Group commit for projections fed one event at a time: what is handed over while a write commits goes in the next
write, with the last position; a failed write stops the projection at its next hand-over."""

from __future__ import annotations

import threading
import uuid
from dataclasses import replace
from datetime import UTC, datetime
from typing import Any

import pytest
from eventsourcing.persistence import Tracking

from service.projections.deal_list import DealListProjection
from service.projections.deal_state import DealRow
from service.projections.hand_off import HandOff

NOW = datetime(2025, 2, 14, 9, tzinfo=UTC)


def test_what_arrives_while_a_write_commits_goes_in_the_next_with_the_last_position() -> None:
    writes: list[tuple[int, list[str]]] = []
    committing, release = threading.Event(), threading.Event()

    def write(tracking: Tracking, items: list[str]) -> None:
        if not writes:
            committing.set()
            release.wait(5)
        writes.append((tracking.notification_id, items))

    hand_off: HandOff[str] = HandOff(write, "test")
    hand_off.add(Tracking("Deals", 1), "a")
    assert committing.wait(5)
    hand_off.add(Tracking("Deals", 2), "b")
    hand_off.add(Tracking("Deals", 3), None)  # an event that only moves the position
    hand_off.add(Tracking("Deals", 4), "c")
    release.set()
    hand_off.close()

    assert writes == [(1, ["a"]), (4, ["b", "c"])]


def test_a_failed_write_is_raised_at_the_next_hand_over() -> None:
    def write(tracking: Tracking, items: list[str]) -> None:
        raise OSError("disk full")

    hand_off: HandOff[str] = HandOff(write, "test")
    hand_off.add(Tracking("Deals", 1), "a")
    hand_off.close()

    assert isinstance(hand_off.error, OSError)
    with pytest.raises(RuntimeError, match="the test projection could not write") as raised:
        hand_off.add(Tracking("Deals", 2), "b")
    assert raised.value.__cause__ is hand_off.error


class RecordingView:
    def __init__(self) -> None:
        self.writes: list[tuple[int, list[DealRow], set[uuid.UUID]]] = []

    def write(self, tracking: Tracking, rows: Any, parties_of: Any) -> bool:
        self.writes.append((tracking.notification_id, list(rows), set(parties_of)))
        return True


def row(deal_id: uuid.UUID, version: int, position: int, opened: bool = False) -> DealRow:
    return DealRow(deal_id=deal_id, title="Deal", status="draft", version=version, awaiting=(), awaiting_since=NOW,
                   awaiting_reason="", parties=(), open_conditions=0, opened_at=NOW if opened else None,
                   created_at=NOW, updated_at=NOW, opened_position=position if opened else None, position=position)


def test_the_deal_list_writes_each_deal_once_per_transaction_and_keeps_its_opening() -> None:
    view = RecordingView()
    projection = DealListProjection(view)  # type: ignore[arg-type]
    projection.hand_off.close()
    opened, other = uuid.uuid4(), uuid.uuid4()

    projection._write(Tracking("Deals", 14), [
        (row(opened, 1, 10, opened=True), True), (row(other, 5, 11), False), (row(opened, 2, 12), True),
        (row(opened, 3, 13), False), (row(other, 6, 14), False),
    ])

    [(position, rows, parties_of)] = view.writes
    assert position == 14 and parties_of == {opened}
    assert rows == [replace(row(opened, 3, 13), opened_at=NOW, opened_position=10), row(other, 6, 14)]
