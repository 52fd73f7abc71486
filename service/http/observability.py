"""Installs observability on the app: JSON logs, the request middleware and the metrics registry (the routes that
serve them: api/routes/operations.py)."""

from __future__ import annotations

import logging
from collections.abc import Iterator

from fastapi import FastAPI
from prometheus_client import CollectorRegistry
from prometheus_client.core import Metric

from service.http.request_log import RequestMiddleware
from service.observability.backlog import measure
from service.observability.logs import configure_logging
from service.observability.metrics import BacklogCollector
from service.settings import Settings

log = logging.getLogger("deals.observability")


class _AppBacklog(BacklogCollector):
    def __init__(self, app: FastAPI, settings: Settings) -> None:
        super().__init__(lambda: measure(app.state.deals, settings))

    def collect(self) -> Iterator[Metric]:
        try:
            yield from super().collect()
        except Exception:
            log.warning("backlog gauges unavailable", exc_info=True)


def install_observability(app: FastAPI, settings: Settings) -> None:
    """JSON logs, the metrics registry and the request middleware (outermost)."""
    configure_logging(settings.log_level, settings.log_format)
    registry = CollectorRegistry(auto_describe=False)
    registry.register(_AppBacklog(app, settings))
    app.state.metrics_registry = registry
    app.add_middleware(RequestMiddleware, router=app.router)
