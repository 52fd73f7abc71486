"""The row a deal becomes in the deal list.

Status and ball are derived state (signatures settle, the ball follows roles, proposals and counter-proposals), so
the projection does not re-implement them: it takes the deal right after each event from the process's deal states
(service/write/deal_states.py), where the writer put it or where it is folded once with the domain's own appliers.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from uuid import UUID

from domain import Deal, DealEvent
from domain.events import DealOpened


@dataclass(frozen=True)
class PartyRow:
    party_id: str
    name: str
    kind: str
    roles: tuple[str, ...]


@dataclass(frozen=True)
class DealRow:
    """One deal as the deal list shows it."""

    deal_id: UUID
    title: str
    status: str
    version: int
    awaiting: tuple[str, ...]
    awaiting_since: datetime
    awaiting_reason: str
    parties: tuple[PartyRow, ...]
    open_conditions: int
    opened_at: datetime | None  # None when the row exists already: only its first write sets it
    created_at: datetime
    updated_at: datetime
    opened_position: int | None
    position: int


def summarize(deal: Deal, position: int, opened_at: datetime | None, opened_position: int | None) -> DealRow:
    return DealRow(
        deal_id=deal.id,
        title=deal.title,
        status=deal.status.value,
        version=deal.version,
        awaiting=tuple(deal.ball.party_ids),
        awaiting_since=deal.ball.since,
        awaiting_reason=deal.ball.reason,
        parties=tuple(
            PartyRow(p.party_id, p.name, p.kind.value, tuple(r.value for r in p.roles)) for p in deal.parties.values()
        ),
        open_conditions=len(deal.open_conditions),
        opened_at=opened_at,
        created_at=deal.created_on,
        updated_at=deal.modified_on,
        opened_position=opened_position,
        position=position,
    )


@dataclass(frozen=True)
class Followed:
    """A deal right after an event, and when and where it was opened if that event (or one before it in the same
    page) opened it."""

    deal: Deal
    opened_at: datetime | None = None
    opened_position: int | None = None

    def row(self, position: int) -> DealRow:
        return summarize(self.deal, position, self.opened_at, self.opened_position)


def followed(deal: Deal, event: DealEvent, position: int) -> Followed:
    if isinstance(event, DealOpened):
        return Followed(deal, event.occurred_at, position)
    return Followed(deal)
