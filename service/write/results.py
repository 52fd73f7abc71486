"""What a write stored."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from uuid import UUID

from eventsourcing.persistence import Recording

from domain import Deal


@dataclass(frozen=True)
class Recorded:
    """What a write stored: the deal's new version and the events with their global positions."""

    deal_id: UUID
    version: int
    recordings: Sequence[Recording[UUID]]
    deal: Deal | None = None  # the deal as opened (open_deal only): the caller's own object, shared with nobody

    @property
    def position(self) -> int | None:
        return self.recordings[-1].notification.id if self.recordings else None
