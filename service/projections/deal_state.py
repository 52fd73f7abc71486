"""The deals a projection follows, kept current with the deal's own event appliers, and the row each becomes.

Status and ball are derived state (signatures settle, the ball follows roles, proposals and counter-proposals), so
the projection does not re-implement them: it folds each event onto the deal with `event.mutate`, the same pure
domain code the aggregate replays. Recently seen deals stay in memory; a deal that is not there (or is at another
version) is loaded from the application at the version just before the event, using snapshots.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import cast
from uuid import UUID

from domain import Deal, DealEvent
from domain.events import DealOpened

Loader = Callable[[UUID, int], Deal]


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


@dataclass
class Followed:
    deal: Deal
    opened_at: datetime | None = None
    opened_position: int | None = None

    def row(self, position: int) -> DealRow:
        return summarize(self.deal, position, self.opened_at, self.opened_position)


class DealStates:
    """An LRU of deals folded from their events; misses load the deal from the application."""

    def __init__(self, capacity: int = 20_000, load: Loader | None = None) -> None:
        self.capacity = capacity
        self._load = load
        self._loader_ready = threading.Event()
        if load is not None:
            self._loader_ready.set()
        self._deals: OrderedDict[UUID, Followed] = OrderedDict()
        self.loads = 0

    def attach(self, load: Loader) -> None:
        self._load = load
        self._loader_ready.set()

    def apply(self, event: DealEvent, position: int) -> Followed:
        """Fold one event onto its deal; the deal returned is at the event's version."""
        deal_id = event.originator_id
        if isinstance(event, DealOpened):
            followed = Followed(cast(Deal, event.mutate(None)), event.occurred_at, position)
        else:
            kept = self._deals.pop(deal_id, None)
            followed = kept if kept is not None else self._fetch(deal_id, event.originator_version - 1)
            if followed.deal.version != event.originator_version - 1:
                followed = self._fetch(deal_id, event.originator_version - 1)
            event.mutate(followed.deal)
        self._deals[deal_id] = followed
        if len(self._deals) > self.capacity:
            self._deals.popitem(last=False)
        return followed

    def forget(self, deal_id: UUID) -> None:
        self._deals.pop(deal_id, None)

    def _fetch(self, deal_id: UUID, version: int) -> Followed:
        if not self._loader_ready.wait(timeout=30):
            raise RuntimeError("the deal states were never given a way to load deals")
        assert self._load is not None
        self.loads += 1
        # A deal seen before has its row already, and the opening is written only with the row's first write.
        return Followed(self._load(deal_id, version))
