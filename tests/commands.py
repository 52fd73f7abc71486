"""Commands for tests that write through the application: opening a deal with its parties."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import datetime
from typing import Any

from domain.commands import Command, JoinParty, OpenDeal
from domain.values import Party, Source


def joining(party: Party, occurred_at: datetime, sources: tuple[Source, ...] = ()) -> JoinParty:
    return JoinParty(party_id=party.party_id, name=party.name, kind=party.kind, roles=party.roles,
                     occurred_at=occurred_at, sources=sources)


def opening(
    deal_id: uuid.UUID, title: str, occurred_at: datetime, parties: Sequence[Party] = (),
    follow_up: Sequence[Command] = (), **details: Any,
) -> tuple[OpenDeal, list[Command]]:
    """The command that opens a deal, and those decided with it: its parties joining, then `follow_up`."""
    opened = OpenDeal(deal_id=deal_id, title=title, occurred_at=occurred_at, **details)
    return opened, [*(joining(p, occurred_at, opened.sources) for p in parties), *follow_up]
