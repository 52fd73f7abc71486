"""Open deals and read them."""

from __future__ import annotations

from typing import Annotated
from uuid import UUID, uuid4

from fastapi import APIRouter, Body, Query, Response, status
from eventsourcing.utils import get_topic

from domain.events import DealOpened
from service.api import mapping, schemas
from service.api.deps import AppDep
from service.api.errors import responses
from service.api.examples import DEAL_EXAMPLE

router = APIRouter(prefix="/deals", tags=["deals"])


@router.post(
    "",
    status_code=status.HTTP_201_CREATED,
    response_model=schemas.DealOut,
    responses=responses(409, 422),
)
def open_deal(
    body: Annotated[schemas.DealCreate, Body(openapi_examples={"minerals deal": {"value": DEAL_EXAMPLE}})],
    app: AppDep,
    response: Response,
) -> dict:
    """Open a deal with its parties; answers with the deal, its Location and its ETag."""
    occurred_at = body.occurred_at or mapping.now()
    recorded = app.open_deal(
        body.deal_id or uuid4(),
        body.title,
        occurred_at,
        parties=[mapping.to_party(p) for p in body.parties],
        summary=body.summary,
        requires_ratification=body.requires_ratification,
        tags=tuple(body.tags),
        predecessor_deal_id=str(body.predecessor_deal_id) if body.predecessor_deal_id else None,
        sources=tuple(mapping.to_source(s) for s in body.sources),
    )
    response.headers["Location"] = f"/deals/{recorded.deal_id}"
    response.headers["ETag"] = f'"{recorded.version}"'
    if recorded.position is not None:
        response.headers["Deals-Position"] = str(recorded.position)
    return mapping.deal_out(app.get_deal(recorded.deal_id))


@router.get("", response_model=schemas.DealPage)
def list_deals(
    app: AppDep,
    limit: Annotated[int, Query(ge=1, le=500)] = 100,
    cursor: Annotated[str | None, Query(description="next_cursor of the previous page")] = None,
) -> dict:
    """List deals in the order they were opened."""
    start = int(cursor) if cursor and cursor.isdigit() else 0
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


@router.get("/{deal_id}", response_model=schemas.DealOut, responses=responses(404))
def read_deal(deal_id: UUID, app: AppDep, response: Response) -> dict:
    """The deal as it stands now; its version is in the ETag header."""
    deal = app.get_deal(deal_id)
    response.headers["ETag"] = f'"{deal.version}"'
    return mapping.deal_out(deal)
