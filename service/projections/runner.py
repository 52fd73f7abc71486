"""Start the eventsourcing projection runners that keep views (and the webhook outbox) up to date."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from eventsourcing.persistence import TrackingRecorder
from eventsourcing.projection import Projection, ProjectionRunner

from service.application import DealsApplication
from service.settings import Settings
from service.storage.environment import eventsourcing_env


def projection_env(settings: Settings, projection_name: str) -> dict[str, str]:
    """The environment for one projection: on SQLite its view lives in a file of its own (SQLite tables are not
    prefixed, so a view sharing the event store's file would share its tracking table); on PostgreSQL its tables
    are prefixed with the projection's name in the same database."""
    env = eventsourcing_env(settings)
    if not settings.is_postgres:
        env[f"{projection_name.upper()}_SQLITE_DBNAME"] = settings.sqlite_file(projection_name)
    return env


def start_projection(
    settings: Settings, projection_class: type[Projection[Any]], view_class: type[TrackingRecorder],
    env: Mapping[str, str] | None = None,
) -> ProjectionRunner[DealsApplication, Any]:
    """`env` adds to (or overrides) the projection's environment.

    A runner reads the log and writes its view one transaction at a time, so its application and view get small
    PostgreSQL pools: the psycopg pool opens its minimum at once, and every process runs several runners."""
    small_pools = {"POSTGRES_POOL_SIZE": "1", "POSTGRES_MAX_OVERFLOW": "3"}
    return ProjectionRunner(
        application_class=DealsApplication,
        projection_class=projection_class,
        view_class=view_class,
        env={**projection_env(settings, projection_class.name), **small_pools, **(env or {})},
    )
