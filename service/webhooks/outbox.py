"""The outbox: a projection of the event log that hands every event to the webhook machinery exactly once.

For each event it builds the body (with the deal's state right after the event) and, in one transaction with the
tracking position, stores it and one delivery per endpoint that wants it. A crash before the commit means the
event is processed again from the tracked position; after it, never again.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from typing import Any
from uuid import UUID

from eventsourcing.persistence import Tracking
from eventsourcing.projection import Projection

from domain import Deal, DealEvent
from service.app import DealsApplication
from service.webhooks import payload
from service.webhooks.store import WebhookStore

CACHED_DEALS = 1_000


class WebhookOutbox(Projection[WebhookStore]):
    name = "webhook"

    def __init__(self, view: WebhookStore) -> None:
        super().__init__(view)
        self._app: DealsApplication | None = None
        self._bound = threading.Event()
        # The state after each deal's last event seen: the next event of the deal is applied to it, so building a
        # body costs no read; a deal not cached here is loaded at the event's version (from its latest snapshot).
        self._deals: OrderedDict[UUID, Deal] = OrderedDict()

    def bind(self, app: DealsApplication) -> None:
        """The application the deals are loaded from (the runner's, which exists only once the runner does)."""
        self._app = app
        self._bound.set()

    def process_event(self, domain_event: Any, tracking: Tracking) -> None:  # type: ignore[override]
        if not isinstance(domain_event, DealEvent):
            self.view.insert_tracking(tracking)
            return
        try:
            deal = self._deal_after(domain_event)
            self.view.enqueue(tracking, payload.deal_message(domain_event, tracking.notification_id, deal))
        except BaseException:
            self._deals.pop(domain_event.originator_id, None)
            raise

    def _deal_after(self, event: DealEvent) -> Deal:
        deal_id, version = event.originator_id, event.originator_version
        cached = self._deals.pop(deal_id, None)
        if version == 1:
            deal = event.mutate(None)
        elif cached is not None and cached.version == version - 1:
            deal = event.mutate(cached)
        else:
            self._bound.wait()
            assert self._app is not None
            deal = self._app.get_deal(deal_id, version=version)
        assert isinstance(deal, Deal)
        self._deals[deal_id] = deal
        if len(self._deals) > CACHED_DEALS:
            self._deals.popitem(last=False)
        return deal
