"""Live event streams (Server-Sent Events): every event as it is committed, resumable with Last-Event-ID."""

from __future__ import annotations

import asyncio
import re
from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager
from typing import Annotated, Any
from uuid import UUID

import anyio
from fastapi import APIRouter, FastAPI, Header, Query, Request
from fastapi.responses import StreamingResponse

from domain.errors import InvalidValue
from service.api.errors import responses
from service.api.routes.feed import Types, feed_reader
from service.api.schemas import MAX_INT
from service.application import DealNotFound
from service.replay.feed import FeedReader
from service.replay.history import topics_of
from service.replay.notifier import CommitNotifier
from service.settings import Settings

_POSITION = re.compile(r"^\s*([0-9]{1,18})\s*$")
_BATCH = 500
SSE_EXAMPLE = (
    "retry: 1000\n\n"
    'id: 8\ndata: {"event_id": "0f7ae2a5-6b0e-5c59-9b43-3f7c8c2d9e10", "deal_id": "5b0c3c1e-…", "version": 8, '
    '"position": 8, "type": "signing_withheld", "occurred_at": "2025-02-15T12:00:00+01:00", …}\n\n'
    ": keep-alive\n\n"
)
# One message of the stream (OpenAPI 3.1: the schema of an event stream describes each message).
SSE_MESSAGE = {
    "type": "object",
    "properties": {
        "id": {"type": "string", "pattern": "^[0-9]+$", "description": "The event's position in the feed."},
        "event": {"type": "string", "enum": ["message"]},
        "data": {"type": "string", "contentMediaType": "application/json",
                 "description": "The event, as one item of GET /events."},
        "retry": {"type": "integer", "description": "Milliseconds to wait before reconnecting."},
    },
}
STREAM_RESPONSES: dict[int | str, dict[str, Any]] = {
    200: {
        "description": "`text/event-stream`: one message per event (`id:` its position, `data:` the event as in the "
        "feed), a `: keep-alive` comment when idle. Reconnect with Last-Event-ID to resume.",
        "content": {"text/event-stream": {"schema": SSE_MESSAGE, "example": SSE_EXAMPLE}},
    },
}
StreamAfter = Annotated[
    int | None,
    Query(ge=0, le=MAX_INT, description="Start after this position (default: only events committed from now on).",
          openapi_examples={"from the beginning": {"value": 0}}),
]
LastEventId = Annotated[
    str | None,
    Header(alias="Last-Event-ID", description="The id of the last message received: resume after it (over after=)."),
]


@asynccontextmanager
async def lifespan(app: FastAPI) -> AsyncIterator[None]:
    notifier = CommitNotifier(app.state.deals.recorder, app.state.settings, asyncio.get_running_loop())
    app.state.commit_notifier = notifier
    undo = notifier.stop_streams_on_signals()
    try:
        yield
    finally:
        undo()
        await anyio.to_thread.run_sync(notifier.stop)


router = APIRouter(tags=["feed"], lifespan=lifespan)


@router.get("/events/stream", response_class=StreamingResponse, responses={**STREAM_RESPONSES, **responses(422)})
async def stream_events(
    request: Request,
    after: StreamAfter = None,
    types: Types = None,
    deal_id: Annotated[UUID | None, Query(description="Only this deal's events.")] = None,
    last_event_id: LastEventId = None,
) -> StreamingResponse:
    """Every event of every deal as it is committed (Server-Sent Events), from after= or Last-Event-ID."""
    start = await _start(request, after, last_event_id)
    return _stream(request, start, topics_of(types or ()), deal_id)


@router.get(
    "/deals/{deal_id}/events/stream",
    response_class=StreamingResponse,
    responses={**STREAM_RESPONSES, **responses(404, 422)},
)
async def stream_deal_events(
    deal_id: UUID,
    request: Request,
    after: StreamAfter = None,
    types: Types = None,
    last_event_id: LastEventId = None,
) -> StreamingResponse:
    """The deal's events as they are committed (Server-Sent Events), from after= or Last-Event-ID."""
    app = request.app.state.deals
    if await anyio.to_thread.run_sync(app.recorder.deal_extent, deal_id) is None:
        raise DealNotFound(deal_id)
    start = await _start(request, after, last_event_id)
    return _stream(request, start, topics_of(types or ()), deal_id)


async def _start(request: Request, after: int | None, last_event_id: str | None) -> int:
    """Where to start: after Last-Event-ID (a reconnecting client), else after=, else after the newest event."""
    if last_event_id is not None:
        match = _POSITION.match(last_event_id)
        if match is None:
            raise InvalidValue("Last-Event-ID", "must be the id of a message of this stream (a position)")
        return int(match.group(1))
    if after is not None:
        return after
    return await anyio.to_thread.run_sync(request.app.state.deals.recorder.max_notification_id) or 0


def _stream(request: Request, start: int, topics: Sequence[str], deal_id: UUID | None) -> StreamingResponse:
    state = request.app.state
    body = _messages(feed_reader(request), state.commit_notifier, state.settings, start, topics, deal_id)
    headers = {"Cache-Control": "no-cache", "X-Accel-Buffering": "no"}
    return StreamingResponse(body, media_type="text/event-stream", headers=headers)


async def _messages(
    reader: FeedReader,
    notifier: CommitNotifier,
    settings: Settings,
    after: int,
    topics: Sequence[str],
    deal_id: UUID | None,
) -> AsyncIterator[bytes]:
    yield b"retry: 1000\n\n"
    batch = min(_BATCH, settings.max_events_page)
    while not notifier.closing.is_set():
        token = notifier.token()
        page = await anyio.to_thread.run_sync(reader.messages, after, batch, topics, deal_id)
        if page.count:
            yield page.body
        after = page.next_after
        if page.has_more:
            continue
        if not await notifier.wait(token, settings.stream_heartbeat_seconds):
            yield b": keep-alive\n\n"

