"""Liveness, readiness and metrics: open routes for orchestrators, load balancers and Prometheus."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request, Response
from prometheus_client import CONTENT_TYPE_LATEST

from service.api import schemas
from service.api.errors import responses
from service.api.readiness import GATES, readiness
from service.api.response_examples import example
from service.http.problem import problem
from service.observability.metrics import exposition

router = APIRouter(tags=["operations"])


@router.get("/healthz", response_model=schemas.HealthOut, responses=example(200, {"status": "ok"}))
async def read_health() -> dict:
    """The process is up and serving requests (it checks nothing else). Answered on the event loop, never queued
    behind the thread pool, so a replica busy catching up still answers its liveness probe at once."""
    return {"status": "ok"}


METRICS_EXAMPLE = 'deals_events_appended_total{type="proposal_tendered"} 3.0\n'
READY = {
    "status": "ready",
    "checks": {
        "database": {"status": "ok", "position": 1180},
        "projections": {"status": "ok", "detail": None, "lag": {"deal_list": 0, "webhook": 2}, "bound": 10000},
        "webhooks": {"status": "ok", "depth": 3, "bound": 10000, "detail": None},
    },
}


@router.get("/readyz", response_model=schemas.ReadinessOut, responses={**responses(503), **example(200, READY)})
def read_readiness(request: Request) -> Any:
    """Ready for traffic: the database answers and the projections are within their lag bound and not stuck on an
    event. The webhook backlog is reported (`behind` past its bound) but does not make a replica unready."""
    checks = readiness(request.app.state.deals, request.app.state.settings)
    failing = ", ".join(name for name, c in checks.items() if name in GATES and c["status"] not in ("ok", "absent"))
    if not failing:
        return {"status": "ready", "checks": checks}
    return problem(503, "not_ready", f"not ready: {failing}", headers={"Retry-After": "5"}, checks=checks)


@router.get(
    "/metrics",
    response_class=Response,
    responses={
        200: {
            "content": {CONTENT_TYPE_LATEST: {"example": METRICS_EXAMPLE}},
            "description": "Prometheus text exposition",
        }
    },
)
def read_metrics(request: Request) -> Response:
    """Prometheus metrics of this process, and backlog gauges read from the database."""
    return Response(exposition(request.app.state.metrics_registry), media_type=CONTENT_TYPE_LATEST)
