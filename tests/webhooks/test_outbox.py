"""The outbox hand-off: every event once, atomically with its position, whether followed live or caught up in pages."""

from __future__ import annotations

import threading
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime

import pytest
from eventsourcing.persistence import IntegrityError, Tracking
from fastapi.testclient import TestClient

from service.api.main import create_app
from service.application import DealsApplication
from service.settings import Settings
from service.webhooks.component import close_store, open_store
from service.webhooks.outbox import catch_up
from service.webhooks.records import Endpoint
from service.webhooks.signing import new_secret
from service.webhooks.store import WebhookStore
from tests.webhooks.helpers import event_ids, new_deal, record, statement, subscribe
from tests.webhooks.receiver import Receiver, wait_for


@pytest.fixture
def store(wh_settings: Settings) -> Iterator[WebhookStore]:
    opened = open_store(wh_settings)
    yield opened
    close_store(opened)


def add_endpoint(store: WebhookStore, **filters: object) -> uuid.UUID:
    now = datetime.now(UTC)
    endpoint = Endpoint(uuid.uuid4(), "http://127.0.0.1:9/hook", None, filters.get("event_types", ["*"]),  # type: ignore[arg-type]
                        filters.get("deal_ids"), new_secret(), None, None, True, None, None, None, 0, now, now)  # type: ignore[arg-type]
    store.add_endpoint(endpoint)
    return endpoint.id


def test_catch_up_hands_over_every_event_a_page_at_a_time(wh_settings: Settings, store: WebhookStore) -> None:
    endpoint_id = add_endpoint(store)
    with TestClient(create_app(wh_settings.model_copy(update={"run_background": False}))) as api:
        deals = [new_deal(api) for _ in range(3)]
        for deal in deals:
            record(api, deal, statement("one"))
        expected = [i for deal in deals for i in event_ids(api, deal)]
    app = DealsApplication(settings=wh_settings)
    try:
        position = catch_up(app, store, threading.Event(), page=5)
        assert position == app.recorder.max_notification_id()
        assert catch_up(app, store, threading.Event(), page=5) == position  # nothing more to do
    finally:
        app.close()

    log = store.deliveries(endpoint_id, 100)
    assert sorted(str(d.message_id) for d in log) == sorted(expected)
    assert store.max_tracking_id(app.name) == position


def test_an_event_is_never_handed_over_twice(store: WebhookStore, wh_settings: Settings) -> None:
    add_endpoint(store)
    with TestClient(create_app(wh_settings.model_copy(update={"run_background": False}))) as api:
        new_deal(api)
    app = DealsApplication(settings=wh_settings)
    try:
        position = catch_up(app, store, threading.Event())

        with pytest.raises(IntegrityError):
            store.enqueue(Tracking(app.name, position), [])
    finally:
        app.close()


def test_events_recorded_while_no_outbox_ran_are_delivered_in_order_once_it_starts(base_settings: Settings) -> None:
    settings = base_settings.model_copy(update={"webhook_allow_loopback": True, "webhook_poll_interval": 0.05})
    with Receiver() as receiver:
        with TestClient(create_app(settings.model_copy(update={"run_background": False}))) as api:
            subscribe(api, receiver.url)
            deal = new_deal(api)
            record(api, deal, statement("while nobody delivered"))
            expected = event_ids(api, deal)
        with TestClient(create_app(settings)):
            wait_for(lambda: len(receiver.received()) == len(expected))

        assert [r.webhook_id for r in receiver.received()] == expected
