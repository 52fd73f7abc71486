"""Deals in many states, written through the application, and the rows the deal list must show for them."""

from __future__ import annotations

import time
import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

from domain import Deal
from domain.values import ConditionKind, ConditionStatus, Party, PartyKind, Role, Speaker, Stance
from service.application import DealsApplication
from service.projections.deal_list_view import APPLICATION_NAME, DealListView
from service.projections.deal_state import DealRow, summarize

T0 = datetime(2025, 2, 12, 9, 0, tzinfo=UTC)
US = Party("US", "United States", PartyKind.STATE, (Role.PROPOSER, Role.SIGNATORY))
UA = Party("UA", "Ukraine", PartyKind.STATE, (Role.COUNTERPARTY, Role.AUTHORIZER, Role.SIGNATORY))


def at(hours: int) -> datetime:
    return T0 + timedelta(hours=hours)


def steps(kind: int) -> list[Any]:
    """Commands taking a deal to one of several places: proposed, withheld, countered, signed, withdrawn …"""
    tender = [lambda d: d.tender_proposal("v1", "US", ("UA",), ("minerals access",), at(1))]
    withheld = [*tender, lambda d: d.withhold_signing("UA", at(2), reason_codes=("no_guarantees",))]
    countered = [*withheld,
                 lambda d: d.raise_condition("c1", "UA", ConditionKind.SECURITY_GUARANTEE, "guarantees", at(3)),
                 lambda d: d.announce_counter_proposal("UA", at(4))]
    signed = [*tender, lambda d: d.accept_proposal("UA", at(2)), lambda d: d.add_signature("US", at(3)),
              lambda d: d.add_signature("UA", at(4))]
    return [
        [],
        tender,
        withheld,
        countered,
        [*countered, lambda d: d.resolve_condition(ConditionStatus.SATISFIED, "c1", "US", at(5))],
        signed,
        [*tender, lambda d: d.withdraw_proposal("US", at(2))],
        [*tender, lambda d: d.assign_role("UA", Role.RATIFIER, at(2)),
         lambda d: d.revoke_role("US", Role.SIGNATORY, at(2)),
         lambda d: d.record_statement("s1", Speaker("official", None, None, True), "Not ready.", Stance.OPPOSE, at(3))],
    ][kind % 8]


def open_deals(app: DealsApplication, count: int, title: str = "Minerals deal") -> list[uuid.UUID]:
    ids = []
    for n in range(count):
        recorded = app.open_deal(uuid.uuid4(), f"{title} {n}", T0, parties=[US, UA], follow_up=steps(n))
        ids.append(recorded.deal_id)
    return ids


def expected_row(app: DealsApplication, deal_id: uuid.UUID) -> tuple[Any, ...]:
    """What the list must say about the deal, from the aggregate itself (positions left out)."""
    row = summarize(app.get_deal(deal_id), 0, None, None)
    return _semantic(row)


def _semantic(row: DealRow) -> tuple[Any, ...]:
    return (row.deal_id, row.title, row.status, row.version, row.awaiting, row.awaiting_since, row.awaiting_reason,
            row.parties, row.open_conditions, row.updated_at)


def view_rows(view: DealListView) -> dict[uuid.UUID, tuple[Any, ...]]:
    return {row.deal_id: _semantic(row) for row in view.rows()}


def wait_until_reached(view: DealListView, position: int, timeout: float = 30) -> None:
    deadline = time.monotonic() + timeout
    while (view.max_tracking_id(APPLICATION_NAME) or 0) < position:
        assert time.monotonic() < deadline, f"the view did not reach position {position}"
        time.sleep(0.02)


def touch(app: DealsApplication, deal_id: uuid.UUID, n: int) -> int:
    """One more event on the deal (a statement); its position."""
    speaker = Speaker("spokesperson", None, "US")

    def command(deal: Deal) -> None:
        deal.record_statement(f"t{n}", speaker, f"Comment {n}", Stance.NEUTRAL, at(10 + n))

    position = app.record(deal_id, [command]).position
    assert position is not None
    return position
