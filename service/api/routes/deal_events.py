"""Record what happened to a deal, and read its history."""

from __future__ import annotations

from typing import Annotated
from uuid import UUID

from fastapi import APIRouter, Body, Header, Query, Request, Response, status

from service.api import mapping, schemas
from service.api.deps import AppDep, SettingsDep, expected_version, get_application
from service.api.errors import responses
from service.api.examples import openapi_event_examples
from service.api.fastjson import json_response

router = APIRouter(prefix="/deals/{deal_id}/events", tags=["events"])

IfMatch = Annotated[
    str | None,
    Header(description='The version the write is based on, as returned in ETag, e.g. "7". Stale → 412.'),
]


@router.post(
    "",
    status_code=status.HTTP_201_CREATED,
    response_model=schemas.Recorded,
    responses=responses(404, 409, 412, 422),
)
async def append_events(
    deal_id: UUID,
    body: Annotated[
        schemas.DealEventIn | schemas.EventBatchIn,
        Body(openapi_examples=openapi_event_examples()),
    ],
    request: Request,
    if_match: IfMatch = None,
) -> Response:
    """Append one event, or a list of events atomically (all or none). Honours If-Match."""
    # Async, with no sync dependencies: each would cost a hop through the thread pool. The write itself waits on
    # the group-commit writer (or, with DEALS_WRITE_MODE=naive, runs in the thread pool).
    app = get_application(request)
    batch = body if isinstance(body, list) else [body]
    now = mapping.now()
    commands = [mapping.to_command(item, now) for item in batch]
    recorded = await app.record_async(deal_id, commands, expected_version=expected_version(if_match))
    headers = {"ETag": f'"{recorded.version}"', "Location": f"/deals/{deal_id}"}
    if recorded.position is not None:
        headers["Deals-Position"] = str(recorded.position)
    events = [mapping.event_out(r.domain_event, r.notification.id) for r in recorded.recordings]  # type: ignore[arg-type]
    body_out = {"deal_id": deal_id, "version": recorded.version, "position": recorded.position, "events": events}
    return json_response(body_out, status.HTTP_201_CREATED, headers)


@router.get("", response_model=schemas.EventPage, responses=responses(404))
def read_history(
    deal_id: UUID,
    app: AppDep,
    settings: SettingsDep,
    after_version: Annotated[int, Query(ge=0, le=2**63 - 1)] = 0,
    limit: Annotated[int, Query(ge=1, le=1000)] = 100,
) -> dict:
    """The deal's events in the order they were recorded, a page at a time."""
    limit = min(limit, settings.max_events_page)
    events = app.deal_events(deal_id, after_version=after_version, limit=limit)
    items = [mapping.event_out(e) for e in events]
    next_after = events[-1].originator_version if len(events) == limit else None
    return {"items": items, "next_after_version": next_after}
