"""Readiness: what a replica needs to serve (the database, the projections' lag), and the webhook backlog. The
route that answers with it is in api/routes/operations.py."""

from __future__ import annotations

import logging
from typing import Any

from service.observability.backlog import Readings, measure
from service.projections.faults import FAULTS
from service.settings import Settings

log = logging.getLogger("deals.observability")
# What decides readiness: what this replica needs to serve. The webhook backlog is shared by every replica (taking
# them all out would not send one delivery sooner): it is reported here and in /metrics, for an alert, not a gate.
GATES = ("database", "projections")


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
