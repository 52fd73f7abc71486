"""Open deals and read them."""

from __future__ import annotations

from typing import Annotated
from uuid import UUID

from fastapi import APIRouter, Body, Query, Request, Response, status

from domain import Deal
from service.api import mapping, schemas
from service.api.deps import AppDep, get_application
from service.api.errors import responses
from service.api.examples import DEAL_EXAMPLE
from service.api.fastjson import json_response
from service.api.response_examples import DEAL, DEAL_OPENED, example
from service.idempotency.context import claim_of
from service.replay.timetravel import deal_at
from service.wire import documents

router = APIRouter(prefix="/deals", tags=["deals"])


@router.post(
    "",
    status_code=status.HTTP_201_CREATED,
    response_model=schemas.DealOut,
    responses={**responses(409, 422), **example(201, DEAL_OPENED)},
)
async def open_deal(
    body: Annotated[schemas.DealCreate, Body(openapi_examples={"minerals deal": {"value": DEAL_EXAMPLE}})],
    request: Request,
) -> Response:
    """Open a deal with its parties; answers with the deal, its Location and its ETag."""
    # Async with no sync dependencies (each costs a thread-pool hop); the write waits on the group-commit writer.
    app = get_application(request)
    now = mapping.now()
    mapping.require_happened(
        body.occurred_at, mapping.latest_occurrence(now, request.app.state.settings.max_clock_skew_seconds)
    )
    opening, parties = mapping.to_opening(body, now)
    recorded = await app.open_deal_async(opening, parties, claim=claim_of(request))
    assert recorded.deal is not None
    return opened_answer(recorded.deal, recorded.position)


def opened_answer(deal: Deal, position: int | None) -> Response:
    """The answer to an opening (also rebuilt from the log for a retry whose first answer was lost)."""
    headers = {"Location": f"/deals/{deal.id}", "ETag": f'"{deal.version}"'}
    if position is not None:
        headers["Deals-Position"] = str(position)
    return json_response(documents.deal_out(deal), status.HTTP_201_CREATED, headers)


@router.get("/{deal_id}", response_model=schemas.DealOut, responses={**responses(404, 422), **example(200, DEAL)})
def read_deal(
    deal_id: UUID,
    app: AppDep,
    response: Response,
    version: Annotated[
        int | None,
        Query(
            ge=1,
            le=schemas.MAX_INT,
            description="The deal after its Nth event.",
            openapi_examples={"after the withholding": {"value": 8}},
        ),
    ] = None,
    as_of: Annotated[
        schemas.Time | None,
        Query(
            description="The deal as it stood in the world then: events that occurred by this time.",
            openapi_examples={"Munich, 14 Feb 2025": {"value": "2025-02-14T23:59:59+01:00"}},
        ),
    ] = None,
    known_at: Annotated[
        schemas.Time | None,
        Query(
            description="The deal as the service knew it then: events recorded by this time (combines with as_of).",
            openapi_examples={"end of 2025": {"value": "2025-12-31T23:59:59Z"}},
        ),
    ] = None,
) -> dict:
    """The deal as it stands now, or as it stood at a version or time; the ETag is its version."""
    deal = deal_at(app, deal_id, version=version, as_of=as_of, known_at=known_at).deal
    if as_of is None and known_at is None:
        response.headers["ETag"] = f'"{deal.version}"'
    return documents.deal_out(deal)
