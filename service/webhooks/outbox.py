"""The outbox: a projection of the event log that hands every event to the webhook machinery exactly once.

For each event it builds the body (with the deal's state right after the event) and, in one transaction with the
tracking position, stores it and one delivery per endpoint that wants it. A crash before the commit means the
event is processed again from the tracked position; after it, never again. The events that arrive while one such
transaction commits go together in the next (`HandOff`), so the outbox keeps up with a busy log; `catch_up` does
the same a page at a time, for a start behind the log's head (first deployment, after downtime).
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Callable
from typing import Any
from uuid import UUID

from eventsourcing.persistence import Tracking
from eventsourcing.projection import Projection

from domain import Deal, DealEvent
from service.application import DealsApplication
from service.webhooks import payload
from service.webhooks.records import Message
from service.webhooks.store import WebhookStore

CACHED_DEALS = 1_000
PAGE = 500

Loader = Callable[[UUID, int], Deal]


class DealsAfter:
    """The deal right after each event: the event applied to the deal kept from the previous one, so building a
    body costs no read; a deal not kept (or at another version) is loaded at the event's version (from its latest
    snapshot)."""

    def __init__(self, load: Loader | None = None) -> None:
        self._deals: OrderedDict[UUID, Deal] = OrderedDict()
        self._load = load
        self._loadable = threading.Event()
        if load is not None:
            self._loadable.set()

    def attach(self, load: Loader) -> None:
        self._load = load
        self._loadable.set()

    def after(self, event: DealEvent) -> Deal:
        deal_id, version = event.originator_id, event.originator_version
        kept = self._deals.pop(deal_id, None)
        if version == 1:
            deal = event.mutate(None)
        elif kept is not None and kept.version == version - 1:
            deal = event.mutate(kept)
        else:
            self._loadable.wait()
            assert self._load is not None
            deal = self._load(deal_id, version)
        assert isinstance(deal, Deal)
        self._deals[deal_id] = deal
        if len(self._deals) > CACHED_DEALS:
            self._deals.popitem(last=False)
        return deal

    def forget(self) -> None:
        """After a failed write: what is kept may be ahead of what was stored."""
        self._deals.clear()


def loader(app: DealsApplication) -> Loader:
    return lambda deal_id, version: app.get_deal(deal_id, version=version)


class HandOff:
    """Writes what the projection hands over as soon as it can: whatever accumulated while the previous write was
    committing goes into the next transaction, with the last tracking position (group commit)."""

    def __init__(self, store: WebhookStore, limit: int = PAGE) -> None:
        self.store = store
        self.limit = limit
        self.error: BaseException | None = None
        self._changed = threading.Condition()
        self._messages: list[Message] = []
        self._tracking: Tracking | None = None
        self._closing = False
        self._thread = threading.Thread(target=self._write_loop, name="webhook-outbox-write", daemon=True)
        self._thread.start()

    def add(self, tracking: Tracking, message: Message | None) -> None:
        with self._changed:
            while len(self._messages) >= self.limit and self.error is None:
                self._changed.wait()
            if self.error is not None:
                raise RuntimeError("the webhook outbox could not write") from self.error
            if message is not None:
                self._messages.append(message)
            self._tracking = tracking
            self._changed.notify_all()

    def close(self) -> None:
        """Write what is left, then stop."""
        with self._changed:
            self._closing = True
            self._changed.notify_all()
        self._thread.join()

    def _write_loop(self) -> None:
        while True:
            with self._changed:
                while self._tracking is None and not self._closing:
                    self._changed.wait()
                if self._tracking is None:
                    return
                tracking, messages = self._tracking, self._messages
                self._tracking, self._messages = None, []
                self._changed.notify_all()
            try:
                self.store.enqueue(tracking, messages)
            except BaseException as error:
                with self._changed:
                    self.error = error
                    self._changed.notify_all()
                return


class WebhookOutbox(Projection[WebhookStore]):
    name = "webhook"

    def __init__(self, view: WebhookStore) -> None:
        super().__init__(view)
        # The runner builds its application after the projection: `bind` gives it, before the first load.
        self.deals = DealsAfter()
        self.hand_off = HandOff(view)

    def bind(self, app: DealsApplication) -> None:
        self.deals.attach(loader(app))

    def process_event(self, domain_event: Any, tracking: Tracking) -> None:
        message = None
        if isinstance(domain_event, DealEvent):
            message = payload.deal_message(domain_event, tracking.notification_id, self.deals.after(domain_event))
        self.hand_off.add(tracking, message)


def catch_up(app: DealsApplication, store: WebhookStore, stop: threading.Event, page: int = PAGE) -> int:
    """Hand over every event after the tracked position, a page per transaction; the position reached."""
    deals = DealsAfter(loader(app))
    position = store.max_tracking_id(app.name) or 0
    while not stop.is_set():
        notifications = app.recorder.select_notifications(start=position, limit=page, inclusive_of_start=False)
        if not notifications:
            break
        messages: list[Message] = []
        for notification in notifications:
            event = app.mapper.to_domain_event(notification)
            if isinstance(event, DealEvent):
                messages.append(payload.deal_message(event, notification.id, deals.after(event)))
        store.enqueue(Tracking(app.name, notifications[-1].id), messages)
        position = notifications[-1].id
    return position
