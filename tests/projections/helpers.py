"""Deals in many states, written through the application, and the rows the deal list must show for them."""

from __future__ import annotations

import time
import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

from domain import commands as c
from domain.commands import Command
from domain.values import ConditionKind, ConditionStatus, Party, PartyKind, Role, Speaker, Stance
from service.application import DealsApplication
from service.projections.deal_list_view import APPLICATION_NAME, DealListView
from service.projections.deal_state import DealRow, summarize
from tests.commands import opening

T0 = datetime(2025, 2, 12, 9, 0, tzinfo=UTC)
US = Party("US", "United States", PartyKind.STATE, (Role.PROPOSER, Role.SIGNATORY))
UA = Party("UA", "Ukraine", PartyKind.STATE, (Role.COUNTERPARTY, Role.AUTHORIZER, Role.SIGNATORY))


def at(hours: int) -> datetime:
    return T0 + timedelta(hours=hours)


def steps(kind: int) -> list[Command]:
    """Commands taking a deal to one of several places: proposed, withheld, countered, signed, withdrawn …"""
    tender = [c.TenderProposal(proposal_id="v1", tendered_by="US", tendered_to=("UA",), terms=("minerals access",),
                               occurred_at=at(1))]
    withheld = [*tender, c.WithholdSigning(by_party="UA", reason_codes=("no_guarantees",), occurred_at=at(2))]
    countered = [*withheld,
                 c.RaiseCondition(condition_id="c1", raised_by="UA", kind=ConditionKind.SECURITY_GUARANTEE,
                                  text="guarantees", occurred_at=at(3)),
                 c.AnnounceCounterProposal(by_party="UA", occurred_at=at(4))]
    signed = [*tender, c.AcceptProposal(by_party="UA", occurred_at=at(2)),
              c.AddSignature(party_id="US", occurred_at=at(3)), c.AddSignature(party_id="UA", occurred_at=at(4))]
    return [
        [],
        tender,
        withheld,
        countered,
        [*countered, c.ResolveCondition(outcome=ConditionStatus.SATISFIED, condition_id="c1", by_party="US",
                                        occurred_at=at(5))],
        signed,
        [*tender, c.WithdrawProposal(by_party="US", occurred_at=at(2))],
        [*tender, c.AssignRole(party_id="UA", role=Role.RATIFIER, occurred_at=at(2)),
         c.RevokeRole(party_id="US", role=Role.SIGNATORY, occurred_at=at(2)),
         c.RecordStatement(statement_id="s1", speaker=Speaker("official", None, None, True), quote="Not ready.",
                           stance=Stance.OPPOSE, occurred_at=at(3))],
    ][kind % 8]


def open_deals(app: DealsApplication, count: int, title: str = "Minerals deal") -> list[uuid.UUID]:
    ids = []
    for n in range(count):
        recorded = app.open_deal(*opening(uuid.uuid4(), f"{title} {n}", T0, parties=[US, UA], follow_up=steps(n)))
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
    command = c.RecordStatement(statement_id=f"t{n}", speaker=Speaker("spokesperson", None, "US"),
                                quote=f"Comment {n}", stance=Stance.NEUTRAL, occurred_at=at(10 + n))
    position = app.record(deal_id, [command]).position
    assert position is not None
    return position
