"""Which recorders store the deals, picked from the settings: the environment the eventsourcing Application and the
projection runners are built from.

Each backend has one application recorder, written out here: the library's recorder with the timeline index (time
travel by as_of/known_at, storage/event_index.py) and the idempotency keys' table (storage/key_store.py) in the
events' own transaction. The SQLite one extends the polling recorder of storage/sqlite_polling.py.
"""

from __future__ import annotations

from collections.abc import Hashable, Mapping

from eventsourcing.utils import get_topic

from service.settings import Settings
from service.storage.event_index import EventIndexMapper
from service.storage.key_store import PostgresKeyStore, SQLiteKeyStore
from service.storage.postgres_recorder import IndexedPostgresApplicationRecorder
from service.storage.sqlite_recorder import IndexedSQLiteApplicationRecorder


class DealsSQLiteRecorder(SQLiteKeyStore, IndexedSQLiteApplicationRecorder):
    """Deal events with their timeline index, and idempotency keys, in one SQLite file."""


class DealsPostgresRecorder(PostgresKeyStore, IndexedPostgresApplicationRecorder):
    """Deal events with their timeline index, and idempotency keys, in one PostgreSQL schema."""


DealsRecorder = DealsSQLiteRecorder | DealsPostgresRecorder


def eventsourcing_env(settings: Settings) -> dict[str, str]:
    """The environment of the deals application (and of the projection runners, which read its log)."""
    mapper = {"MAPPER_TOPIC": get_topic(EventIndexMapper)}
    if settings.is_postgres:
        storage = {"PERSISTENCE_MODULE": "eventsourcing.postgres", "CREATE_TABLE": "y", **settings.postgres_env(),
                   "APPLICATION_RECORDER_TOPIC": get_topic(DealsPostgresRecorder), **mapper}
    else:
        settings.sqlite_path.parent.mkdir(parents=True, exist_ok=True)
        storage = {
            "PERSISTENCE_MODULE": "eventsourcing.sqlite",
            "CREATE_TABLE": "y",
            "SQLITE_DBNAME": str(settings.sqlite_path),
            "SQLITE_LOCK_TIMEOUT": "10",
            "APPLICATION_RECORDER_TOPIC": get_topic(DealsSQLiteRecorder),
            **mapper,
        }
    return {**storage, **settings.at_rest_env()}


def database_identity(env: Mapping[str, str]) -> Hashable | None:
    """What tells the database of an application's environment (the library's, which looks names up with the
    application's prefix first) from any other in this process; None for an in-memory database (each is its own)."""
    names = ("PERSISTENCE_MODULE", "SQLITE_DBNAME", "POSTGRES_HOST", "POSTGRES_PORT", "POSTGRES_DBNAME",
             "POSTGRES_SCHEMA")
    identity = tuple(env.get(name) for name in names)
    if env.get("PERSISTENCE_MODULE") == "eventsourcing.postgres":
        return identity
    return None if "memory" in (env.get("SQLITE_DBNAME") or ":memory:") else identity
