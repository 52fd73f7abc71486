"""How far the read models (projections of the event log) are behind it."""

from __future__ import annotations

from fastapi import APIRouter

from service.api import schemas
from service.api.deps import AppDep, SettingsDep
from service.api.errors import responses
from service.projections.lag import lags

router = APIRouter(prefix="/projections", tags=["projections"])

EXAMPLE = {"items": [{"name": "deal_list", "position": 1200, "head": 1205, "lag_events": 5, "lag_seconds": 0.08,
                      "oldest_unprocessed_at": "2025-02-16T09:05:00.120000+00:00"}]}


@router.get("", response_model=schemas.ProjectionsOut,
            responses={200: {"content": {"application/json": {"example": EXAMPLE}}}, **responses(503)})
def read_projections(app: AppDep, settings: SettingsDep) -> dict:
    """Each projection's position, the log's head, and its lag in events and in seconds."""
    return {"items": [vars(lag) for lag in lags(app, settings)]}
