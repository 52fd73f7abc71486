"""Prometheus metrics. The counters live in this process's default registry (each process counts its own; with
several uvicorn workers, prometheus-client's multiprocess mode adds them up); backlog gauges are read from the
database when /metrics is scraped.

Other components increment these objects directly, e.g. `WEBHOOK_DELIVERIES.labels(outcome="delivered").inc()`,
and a component with a queue registers how to measure it with `register_backlog_probe`.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from threading import Lock
from typing import Any

from prometheus_client import CollectorRegistry, Counter, Histogram, generate_latest
from prometheus_client.core import GaugeMetricFamily, Metric
from prometheus_client.registry import Collector

from service.settings import Settings

REQUEST_DURATION = Histogram(
    "deals_http_request_duration_seconds",
    "Time to answer an HTTP request, by method, route template and status.",
    ["method", "route", "status"],
    buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0),
)
EVENTS_APPENDED = Counter("deals_events_appended", "Events stored, by event type.", ["type"])
VERSION_CONFLICTS = Counter(
    "deals_version_conflicts",
    "Writes refused because the deal changed: stale_version (412, If-Match) or write_conflict (409, retries spent).",
    ["code"],
)
IDEMPOTENT_REPLAYS = Counter("deals_idempotent_replays", "POSTs answered with the stored response of an earlier one.")
IDEMPOTENCY_REJECTIONS = Counter(
    "deals_idempotency_rejections",
    "POSTs refused for their Idempotency-Key: reused with another body (422) or the first is still running (409).",
    ["reason"],
)
WEBHOOK_DELIVERIES = Counter("deals_webhook_deliveries", "Webhook delivery attempts, by outcome.", ["outcome"])

# A backlog probe answers how many items wait in one queue, reading the database; None when it cannot tell.
BacklogProbe = Callable[[Settings], int | None]
_probes: dict[str, BacklogProbe] = {}
_probes_lock = Lock()


def register_backlog_probe(queue: str, probe: BacklogProbe) -> None:
    """Let /metrics (deals_webhook_queue_depth for "webhooks") and /readyz measure a queue, e.g. the webhook outbox."""
    with _probes_lock:
        _probes[queue] = probe


def backlog_probes() -> dict[str, BacklogProbe]:
    with _probes_lock:
        return dict(_probes)


class BacklogCollector(Collector):
    """Projection lag, queue depths and the log's head position, measured when scraped."""

    def __init__(self, measure: Callable[[], dict[str, dict[str, int | None]]]) -> None:
        self.measure = measure

    def collect(self) -> Iterator[Metric]:
        readings = self.measure()
        head = GaugeMetricFamily("deals_event_log_position", "Global position of the newest stored event.")
        head.add_metric([], readings["log"].get("position") or 0)
        lag = GaugeMetricFamily(
            "deals_projection_lag_events", "Events stored but not yet processed, by projection.", labels=["projection"]
        )
        for name, value in sorted(readings["projections"].items()):
            if value is not None:
                lag.add_metric([name], value)
        depth = GaugeMetricFamily(
            "deals_webhook_queue_depth", "Webhook deliveries waiting to be sent, by queue.", labels=["queue"]
        )
        for name, value in sorted(readings["queues"].items()):
            if value is not None:
                depth.add_metric([name], value)
        yield from (head, lag, depth)


def exposition(app_registry: CollectorRegistry) -> bytes:
    """This process's counters — or, under `deals serve --workers N` (PROMETHEUS_MULTIPROC_DIR set), every worker's
    added up, so that one scrape covers the whole server — and the gauges read from the database."""
    import os

    from prometheus_client import REGISTRY, multiprocess

    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        registry = CollectorRegistry()
        multiprocess.MultiProcessCollector(registry)
        return generate_latest(registry) + generate_latest(app_registry)
    return generate_latest(REGISTRY) + generate_latest(app_registry)


def event_type(topic: str) -> str:
    """`domain.events:ProposalTendered` → `proposal_tendered`, the type name clients see."""
    name = topic.rpartition(":")[2].rpartition(".")[2]
    return "".join("_" + c.lower() if c.isupper() else c for c in name).lstrip("_")


def count_appended(recordings: Iterable[Any]) -> None:
    """Count stored deal events by type (other aggregates saved alongside, like idempotency keys, are not counted)."""
    for recording in recordings:
        name = getattr(type(recording.domain_event), "type_name", None)
        if name:
            EVENTS_APPENDED.labels(name).inc()
