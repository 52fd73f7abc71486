"""Open deals and read them."""

from __future__ import annotations

from typing import Annotated
from uuid import UUID, uuid4

from fastapi import APIRouter, Body, Response, status

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


@router.get("/{deal_id}", response_model=schemas.DealOut, responses=responses(404))
def read_deal(deal_id: UUID, app: AppDep, response: Response) -> dict:
    """The deal as it stands now; its version is in the ETag header."""
    deal = app.get_deal(deal_id)
    response.headers["ETag"] = f'"{deal.version}"'
    return mapping.deal_out(deal)
