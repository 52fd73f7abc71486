"""The answer to a write whose key was claimed but never answered, rebuilt from the log (the idempotency middleware
is given it: service/idempotency).

A write's claim commits with its events; its answer is kept just after. A process that dies in between leaves the
key claimed with no answer, though the write happened. A retry (same key, same body) is then answered from the log:
the deal at the claimed version, or the events the write added (the body says how many), through the routes' own
answer builders — the bytes the first request was sent.
"""

from __future__ import annotations

import json
import re
from typing import TYPE_CHECKING
from uuid import UUID

from starlette.responses import Response

from service.api.routes.deal_events import recorded_answer
from service.api.routes.deals import opened_answer
from service.replay.history import history_page
from service.replay.timetravel import deal_at

if TYPE_CHECKING:
    from domain import DealEvent
    from service.application import DealsApplication
    from service.idempotency.record import IdempotencyKey

_APPEND = re.compile(r"/deals/[^/]+/events")


def rebuilt_answer(app: DealsApplication, record: IdempotencyKey, body: bytes) -> Response | None:
    """None when the claim names no deal write (every other route keeps its answer with its claim)."""
    if record.deal_id is None or record.deal_version is None:
        return None
    deal_id, version = UUID(record.deal_id), record.deal_version
    path = record.request.removeprefix("POST ")
    if path == "/deals":
        deal = deal_at(app, deal_id, version=version).deal
        return opened_answer(deal, _written(app, deal_id, version, 1)[-1][1])
    if _APPEND.fullmatch(path):
        posted = json.loads(body)
        return recorded_answer(deal_id, version, _written(app, deal_id, version, len(posted)
                                                          if isinstance(posted, list) else 1))
    return None


def _written(app: DealsApplication, deal_id: UUID, version: int, count: int) -> list[tuple[DealEvent, int]]:
    """The last `count` events up to `version`, with their positions."""
    return history_page(app, deal_id, after_version=version - count, limit=count).events
