"""The global feed: every event of every deal in commit order, a page at a time."""

from __future__ import annotations

from typing import Annotated
from uuid import UUID

from fastapi import APIRouter, Query, Request, Response

from service.api import schemas
from service.api.deps import SettingsDep
from service.api.errors import responses
from service.replay.feed import FeedReader
from service.replay.history import topics_of

router = APIRouter(prefix="/events", tags=["feed"])

FEED_EXAMPLE = {
    "items": [
        {
            "event_id": "0f7ae2a5-6b0e-5c59-9b43-3f7c8c2d9e10",
            "deal_id": "5b0c3c1e-8f1e-4c55-a4a1-0d1e2f3a4b5c",
            "version": 8,
            "position": 8,
            "type": "signing_withheld",
            "occurred_at": "2025-02-15T12:00:00+01:00",
            "recorded_at": "2025-02-16T09:30:00.120000Z",
            "data": {"by_party": "UA", "authorizer": "Volodymyr Zelenskyy", "proposal_id": "v1",
                     "reason_codes": ["no_security_guarantees"], "occurred_at": "2025-02-15T12:00:00+01:00"},
        }
    ],
    "next_after": 8,
    "has_more": False,
}

PAGE_HEADERS = {
    "Deals-Next-After": {"description": "next_after: ask for the next page before parsing this one.",
                         "schema": {"type": "integer"}},
    "Deals-Has-More": {"description": "has_more, as true or false.", "schema": {"type": "string"}},
}

After = Annotated[int, Query(ge=0, le=schemas.MAX_INT, description="Start after this position (0: from the beginning).",
                             openapi_examples={"from the beginning": {"value": 0}, "after position 8": {"value": 8}})]
Types = Annotated[list[str] | None, Query(alias="type", description="Only events of these types (repeatable).",
                                          openapi_examples={"signing": {"value": ["signing_withheld"]}})]
DealFilter = Annotated[UUID | None, Query(description="Only this deal's events.")]


def feed_reader(request: Request) -> FeedReader:
    state = request.app.state
    if getattr(state, "feed_reader", None) is None:
        state.feed_reader = FeedReader(state.deals)
    return state.feed_reader


@router.get(
    "",
    response_model=schemas.FeedPage,
    responses={200: {"content": {"application/json": {"example": FEED_EXAMPLE}}, "headers": PAGE_HEADERS},
               **responses(422)},
)
def read_feed(
    request: Request,
    settings: SettingsDep,
    after: After = 0,
    limit: Annotated[int, Query(ge=1, le=100_000, description="Page size, at most DEALS_MAX_EVENTS_PAGE.")] = 1000,
    types: Types = None,
    deal_id: DealFilter = None,
) -> Response:
    """Every event of every deal after a position, in commit order; pass next_after to read on."""
    page = feed_reader(request).json(after, min(limit, settings.max_events_page), topics_of(types or ()), deal_id)
    # Built as JSON bytes directly (see replay/feed.py): a catch-up reads millions of events. The headers let a
    # client ask for the next page while it is still parsing this one.
    headers = {"Deals-Next-After": str(page.next_after), "Deals-Has-More": "true" if page.has_more else "false"}
    return Response(page.body, media_type="application/json", headers=headers)
