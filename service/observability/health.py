"""Liveness, readiness and metrics: open routes for orchestrators, load balancers and Prometheus."""

from __future__ import annotations

import logging
from typing import Any

from fastapi import APIRouter, Request, Response
from prometheus_client import CONTENT_TYPE_LATEST

from service.api import schemas
from service.api.errors import responses
from service.api.response_examples import example
from service.http.problem import problem
from service.observability.backlog import Readings, measure
from service.observability.metrics import exposition
from service.projections.faults import FAULTS
from service.settings import Settings

log = logging.getLogger("deals.observability")
# What decides readiness: what this replica needs to serve. The webhook backlog is shared by every replica (taking
# them all out would not send one delivery sooner): it is reported here and in /metrics, for an alert, not a gate.
GATES = ("database", "projections")
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


def readiness(app: Any, settings: Settings) -> dict[str, dict[str, Any]]:
    try:
        with app.recorder.datastore.transaction(commit=False) as curs:
            curs.execute("SELECT 1")
        readings = measure(app, settings)
    except Exception as error:
        log.warning("readiness: database check failed", exc_info=True)
        return {"database": {"status": "failing", "detail": f"{type(error).__name__}: {error}"[:300]}}
    return {
        "database": {"status": "ok", "position": readings["log"]["position"]},
        "projections": _projections(readings, settings.ready_max_projection_lag),
        "webhooks": _webhooks(readings, settings.ready_max_webhook_backlog),
    }


def _projections(readings: Readings, bound: int) -> dict[str, Any]:
    lags = readings["projections"]
    stuck = FAULTS.stuck()
    if stuck:
        return {"status": "stuck", "detail": "; ".join(fault.advice() for fault in stuck), "lag": lags,
                "bound": bound or None,
                "stuck": [{"projection": f.projection, "position": f.position,
                           "deal_id": str(f.deal_id) if f.deal_id else None, "attempts": f.attempts,
                           "reason": f.reason, "since": f.since.isoformat()} for f in stuck]}
    if not lags:
        return {"status": "absent", "detail": "no projection has tracked any position in this database"}
    behind = {name: lag for name, lag in lags.items() if bound and lag is not None and lag > bound}
    detail = f"more than {bound} events behind: {', '.join(sorted(behind))}" if behind else None
    return {"status": "behind" if behind else "ok", "detail": detail, "lag": lags, "bound": bound or None}


def _webhooks(readings: Readings, bound: int) -> dict[str, Any]:
    if "webhooks" not in readings["queues"]:
        return {"status": "absent", "detail": "no webhook outbox is registered in this build"}
    depth = readings["queues"]["webhooks"]
    if depth is None:
        return {"status": "failing", "detail": "the webhook outbox could not be measured"}
    behind = bool(bound) and depth > bound
    return {"status": "behind" if behind else "ok", "depth": depth, "bound": bound or None,
            "detail": f"more than {bound} deliveries waiting" if behind else None}
