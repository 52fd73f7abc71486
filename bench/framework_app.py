"""The framework's floor: a bare FastAPI app that answers the bench's write requests with no event store behind it.

The same route and uvicorn settings as the service, a pydantic body of the same shape as a statement, and an orjson
answer of the same shape as the service's (the event with its envelope). `bench/writes.py` drives it with the same
load, so the service's CPU per command can be read as a multiple of what FastAPI itself costs per request.
"""

from __future__ import annotations

import itertools
from datetime import UTC, datetime
from typing import Literal
from uuid import UUID, uuid4

from fastapi import FastAPI
from fastapi.responses import ORJSONResponse
from pydantic import BaseModel, ConfigDict, Field


class Speaker(BaseModel):
    model_config = ConfigDict(extra="forbid")
    name: str = Field(min_length=1, max_length=200)
    party_id: str | None = Field(None, max_length=64)


class StatementIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    type: Literal["statement_recorded"]
    speaker: Speaker
    quote: str = Field(min_length=1, max_length=10_000)
    occurred_at: datetime | None = None


def create_app() -> FastAPI:
    app = FastAPI(title="FastAPI alone (bench)")
    positions = itertools.count(1)

    @app.post("/deals/{deal_id}/events", status_code=201)
    async def append(deal_id: UUID, body: StatementIn) -> ORJSONResponse:
        now = datetime.now(UTC)
        position = next(positions)
        event = {"event_id": str(uuid4()), "deal_id": str(deal_id), "type": body.type, "version": position,
                 "position": position, "occurred_at": (body.occurred_at or now).isoformat(),
                 "recorded_at": now.isoformat(), "data": body.model_dump(mode="json", exclude={"type"})}
        return ORJSONResponse({"deal_id": str(deal_id), "version": position, "events": [event]}, status_code=201,
                              headers={"ETag": f'"{position}"', "Deals-Position": str(position)})

    return app
