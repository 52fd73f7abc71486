"""Webhook delivery as a background component of `deals serve` and `deals worker`.

Every process sends (claiming deliveries, so several share the work); the outbox projection that queues them runs
in one process at a time, under the lock of service/projections/exclusive.py.
"""

from __future__ import annotations

import logging
import threading
from functools import lru_cache
from typing import cast

import psycopg
from eventsourcing.persistence import InfrastructureFactory
from eventsourcing.projection import ProjectionRunner
from eventsourcing.utils import Environment
from psycopg.sql import SQL, Identifier

from service.application import DealsApplication
from service.projections.exclusive import Exclusive, lock_for
from service.projections.runner import projection_env, start_projection
from service.settings import Settings
from service.webhooks import wakeups
from service.webhooks.outbox import WebhookOutbox, catch_up
from service.webhooks.sealing import sealer_for
from service.webhooks.sender import Sender
from service.webhooks.store import WebhookStore
from service.webhooks.store_postgres import PostgresWebhookStore
from service.webhooks.store_sqlite import SQLiteWebhookStore

log = logging.getLogger(__name__)
NAME = WebhookOutbox.name


def store_class(settings: Settings) -> type[WebhookStore]:
    """The store for this database; with DEALS_CIPHER_KEY, one that seals secrets and payloads (sealing.py). A class
    rather than an instance setting: the outbox's projection runner constructs its own store from it."""
    base = PostgresWebhookStore if settings.is_postgres else SQLiteWebhookStore
    key = settings.cipher_key
    return base if key is None else _sealing(base, key.get_secret_value())


@lru_cache(maxsize=8)
def _sealing(base: type[WebhookStore], cipher_key: str) -> type[WebhookStore]:
    return type(f"Sealing{base.__name__}", (base,), {"sealer": sealer_for(cipher_key)})


def small_pools(settings: Settings) -> dict[str, str]:
    """Webhook work needs few connections at once (a claimer, a recorder, the outbox's writer); PostgreSQL pools
    open all of theirs up front, and every process runs this."""
    # The application's pool keeps one connection for LISTEN: it needs two.
    return {"POSTGRES_POOL_SIZE": str(min(settings.pool_size, 2)), f"{NAME.upper()}_POSTGRES_POOL_SIZE": "1"}


def open_store(settings: Settings) -> WebhookStore:
    """The webhook tables on connections of their own (created on first use); with DEALS_CIPHER_KEY, signing
    secrets stored before the key was set are sealed now."""
    env = Environment(NAME, {**projection_env(settings, NAME), **small_pools(settings)})
    store: WebhookStore = InfrastructureFactory.construct(env).tracking_recorder(  # type: ignore[assignment]  # the factory returns an instance of the class it is given
        store_class(settings))
    sealed = store.seal_plain_secrets()  # a few rows: endpoints are few, and each process opens a handful of stores
    if sealed:
        log.info("webhooks: sealed the signing secrets of %d endpoints stored before DEALS_CIPHER_KEY was set", sealed)
    return store


def close_store(store: WebhookStore) -> None:
    store.datastore.close()  # type: ignore[attr-defined]  # the backend's recorder has a datastore; the library's base type does not


class RunningOutbox:
    """The outbox, as the work the exclusive lock watches: a catch-up a page per transaction, then the library's
    ProjectionRunner following the log event by event."""

    def __init__(self, settings: Settings, stop: threading.Event) -> None:
        app = DealsApplication(small_pools(settings), settings=settings)
        store = open_store(settings)
        try:
            position = catch_up(app, store, stop)
            log.info("webhook outbox caught up to position %s", position)
        finally:
            close_store(store)
            app.close()
        self.runner: ProjectionRunner[DealsApplication, WebhookStore] = start_projection(
            settings, WebhookOutbox, store_class(settings), small_pools(settings)
        )
        self.runner.__enter__()
        self.outbox().bind(self.runner.app)

    def outbox(self) -> WebhookOutbox:
        """The runner's projection: the library types it as its base class."""
        return cast(WebhookOutbox, self.runner.projection)

    def failed(self) -> bool:
        return self.runner.is_interrupted.is_set() or self.outbox().hand_off.error is not None

    def stop(self) -> None:
        try:
            self.runner.__exit__(None, None, None)
        finally:
            self.outbox().hand_off.close()


class NotifyListener:
    """Wakes this process's sender when another process queues deliveries (PostgreSQL NOTIFY)."""

    def __init__(self, settings: Settings, store: PostgresWebhookStore) -> None:
        self.conninfo = settings.database_url
        self.channel = store.channel
        self.wake_key = store.wake_key()
        self._stopping = threading.Event()
        self._thread = threading.Thread(target=self._run, name="webhook-listen", daemon=True)

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        self._stopping.set()
        self._thread.join()

    def _run(self) -> None:
        while not self._stopping.is_set():
            try:
                with psycopg.connect(self.conninfo, autocommit=True, connect_timeout=5) as conn:
                    conn.execute(SQL("LISTEN {}").format(Identifier(self.channel)))
                    while not self._stopping.is_set():
                        for _ in conn.notifies(timeout=0.2, stop_after=1):
                            wakeups.wake(self.wake_key)
            except psycopg.Error as error:
                log.warning("webhook wake-ups: %s; listening again shortly (polling meanwhile)", error)
                self._stopping.wait(1.0)


class WebhookDelivery:
    """The background component: the sender, its wake-ups, and (in one process at a time) the outbox."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self.store: WebhookStore | None = None
        self.sender: Sender | None = None
        self.listener: NotifyListener | None = None
        self.outbox = Exclusive(lock_for(settings, NAME), lambda: RunningOutbox(settings, self.outbox.stopping), NAME,
                                retry_interval=0.5, check_interval=0.5)

    def start(self) -> None:
        self.store = open_store(self.settings)
        self.sender = Sender(self.store, self.settings)
        self.sender.start()
        if isinstance(self.store, PostgresWebhookStore):
            self.listener = NotifyListener(self.settings, self.store)
            self.listener.start()
        self.outbox.start()

    def stop(self) -> None:
        self.outbox.stop()
        if self.listener is not None:
            self.listener.stop()
        if self.sender is not None:
            self.sender.stop()
        if self.store is not None:
            close_store(self.store)
