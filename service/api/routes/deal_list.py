"""List deals."""

from __future__ import annotations

from typing import Annotated

from eventsourcing.utils import get_topic
from fastapi import APIRouter, Query

from domain.events import DealOpened
from service.api import schemas
from service.api.deps import AppDep

router = APIRouter(prefix="/deals", tags=["deals"])


@router.get("", response_model=schemas.DealPage)
def list_deals(
    app: AppDep,
    limit: Annotated[int, Query(ge=1, le=500)] = 100,
    cursor: Annotated[
        str | None, Query(pattern=r"^[0-9]{1,18}$", description="next_cursor of the previous page")
    ] = None,
) -> dict:
    """List deals in the order they were opened."""
    start = int(cursor) if cursor else 0
    notifications = app.recorder.select_notifications(
        start=start, limit=limit, topics=[get_topic(DealOpened)], inclusive_of_start=False
    )
    items = []
    for n in notifications:
        deal = app.get_deal(n.originator_id)  # type: ignore[arg-type]
        items.append({"deal_id": deal.id, "title": deal.title, "status": deal.status, "version": deal.version,
                      "awaiting": list(deal.ball.party_ids), "updated_at": deal.modified_on})
    next_cursor = str(notifications[-1].id) if len(notifications) == limit else None
    return {"items": items, "next_cursor": next_cursor}
