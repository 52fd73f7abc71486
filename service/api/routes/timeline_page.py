"""A deal's history as a page for people: its states, who held the ball, statements and conditions over time."""

from __future__ import annotations

from typing import Annotated
from uuid import UUID

from fastapi import APIRouter, Query
from fastapi.responses import HTMLResponse

from service.api.deps import AppDep
from service.api.errors import responses
from service.timeline_page.model import build
from service.timeline_page.render import render

router = APIRouter(prefix="/deals/{deal_id}", tags=["deals"])

PAGE_EXAMPLE = "<!doctype html><html lang=\"en\"><head><title>US–Ukraine minerals agreement — timeline</title>…"


@router.get(
    "/timeline",
    response_class=HTMLResponse,
    responses={200: {"content": {"text/html": {"example": PAGE_EXAMPLE}},
                     "description": "An HTML page: state and ball bands, events, statements and conditions on a "
                                    "time axis (by occurred_at), then every event in the order it happened."},
               **responses(404, 422)},
)
def read_timeline(
    deal_id: UUID,
    app: AppDep,
    limit: Annotated[int, Query(ge=1, le=5000, description="How many of the latest events are listed one by one.")]
    = 500,
) -> HTMLResponse:
    """The deal's history as an HTML page with a time axis, for people rather than programs."""
    events = app.deal_events(deal_id)
    deal = app.get_deal(deal_id)
    return HTMLResponse(render(build(events, deal, listed=limit)))
