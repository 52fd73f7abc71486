"""Record what happened to a deal, and read its history."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Annotated
from uuid import UUID

from fastapi import APIRouter, Body, Header, Query, Request, Response, status

from domain import DealEvent
from service.api import mapping, requests, schemas
from service.api.deps import AppDep, SettingsDep, expected_version, get_application
from service.api.errors import responses
from service.api.event_types import appendable_list
from service.api.examples import openapi_event_examples
from service.api.fastjson import json_response
from service.api.response_examples import EVENT_PAGE, RECORDED, example
from service.idempotency.context import claim_of
from service.replay.history import Order, history_page
from service.wire import documents

router = APIRouter(prefix="/deals/{deal_id}/events", tags=["events"])

IfMatch = Annotated[
    str | None,
    Header(description='The version the write is based on, as returned in ETag, e.g. "7". Stale → 412.'),
]


@router.post(
    "",
    status_code=status.HTTP_201_CREATED,
    response_model=schemas.Recorded,
    responses={**responses(404, 409, 412, 422), **example(201, RECORDED)},
    description="Append one event, or a list of events atomically (all or none). Honours If-Match.\n\n"
    f"The event types, by `type`:\n\n{appendable_list()}",
)
async def append_events(
    deal_id: UUID,
    body: Annotated[
        requests.DealEventIn | requests.EventBatchIn,
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
    latest = mapping.latest_occurrence(now, request.app.state.settings.max_clock_skew_seconds)
    commands = [
        mapping.to_command(item, now, latest, f"{n}." if isinstance(body, list) else "") for n, item in enumerate(batch)
    ]
    recorded = await app.record_async(deal_id, commands, expected_version=expected_version(if_match),
                                      claim=claim_of(request))
    written = [(r.domain_event, r.notification.id) for r in recorded.recordings]
    return recorded_answer(deal_id, recorded.version, written)  # type: ignore[arg-type]  # each recording's event is a DealEvent; the library types it as a protocol


def recorded_answer(deal_id: UUID, version: int, written: Sequence[tuple[DealEvent, int]]) -> Response:
    """The answer to an append: the events written, with their positions (also rebuilt from the log for a retry
    whose first answer was lost)."""
    position = written[-1][1] if written else None
    headers = {"ETag": f'"{version}"', "Location": f"/deals/{deal_id}"}
    if position is not None:
        headers["Deals-Position"] = str(position)
    events = [documents.event_out(event, at) for event, at in written]
    body_out = {"deal_id": deal_id, "version": version, "position": position, "events": events}
    return json_response(body_out, status.HTTP_201_CREATED, headers)


@router.get("", response_model=schemas.EventPage, responses={**responses(404, 422), **example(200, EVENT_PAGE)})
def read_history(
    deal_id: UUID,
    app: AppDep,
    settings: SettingsDep,
    after_version: Annotated[int, Query(ge=0, le=schemas.MAX_INT, description="In version order: start after it.")] = 0,
    limit: Annotated[int, Query(ge=1, le=1000)] = 100,
    types: Annotated[
        list[str] | None,
        Query(
            alias="type",
            description="Only events of these types (repeat the parameter for several).",
            openapi_examples={"conditions": {"value": ["condition_raised", "condition_satisfied"]}},
        ),
    ] = None,
    order: Annotated[
        Order,
        Query(
            description="version: as recorded; occurred_at: as they happened in the world (ties by version).",
            openapi_examples={"as they happened": {"value": "occurred_at"}},
        ),
    ] = "version",
    cursor: Annotated[str | None, Query(max_length=40, description="next_cursor of the previous page.")] = None,
) -> dict:
    """The deal's events with their global positions, by version or by occurred_at, a page at a time."""
    page = history_page(
        app,
        deal_id,
        limit=min(limit, settings.max_events_page),
        types=types or (),
        order=order,
        after_version=after_version,
        cursor=cursor,
    )
    items = [documents.event_out(event, position) for event, position in page.events]
    return {"items": items, "next_after_version": page.next_after_version, "next_cursor": page.next_cursor}
