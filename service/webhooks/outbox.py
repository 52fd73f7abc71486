"""The outbox: a projection of the event log that hands every event to the webhook machinery exactly once.

For each event it builds the body (with the deal's state right after the event) and, in one transaction with the
tracking position, stores it and one delivery per endpoint that wants it. A crash before the commit means the
event is processed again from the tracked position; after it, never again. The events that arrive while one such
transaction commits go together in the next (projections/hand_off.py), so the outbox keeps up with a busy log;
`catch_up` does the same a page at a time, for a start behind the log's head (first deployment, after downtime).
"""

from __future__ import annotations

import threading
from typing import Any

from eventsourcing.persistence import Tracking
from eventsourcing.projection import Projection

from domain import DealEvent
from service.application import DealsApplication
from service.projections.hand_off import HandOff
from service.webhooks import payload
from service.webhooks.records import Message
from service.webhooks.store import WebhookStore
from service.write.deal_states import Following

PAGE = 500


class WebhookOutbox(Projection[WebhookStore]):
    name = "webhook"

    def __init__(self, view: WebhookStore) -> None:
        super().__init__(view)
        # The runner builds its application after the projection: `bind` gives it, before the first load.
        self.deals = Following()
        self.hand_off: HandOff[Message] = HandOff(view.enqueue, "webhook-outbox", PAGE)

    def bind(self, app: DealsApplication) -> None:
        self.deals.attach(app)

    def process_event(self, domain_event: Any, tracking: Tracking) -> None:
        message = None
        if isinstance(domain_event, DealEvent):
            message = payload.deal_message(domain_event, tracking.notification_id, self.deals.after(domain_event))
        self.hand_off.add(tracking, message)


def catch_up(app: DealsApplication, store: WebhookStore, stop: threading.Event, page: int = PAGE) -> int:
    """Hand over every event after the tracked position, a page per transaction; the position reached."""
    deals = Following().attach(app)
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
