"""The composition of what follows the event log in the background: projections, webhook delivery, the
tamper-evident log. (The recorders are picked from the settings in storage/environment.py; the web app is composed in
api/main.py.)

It runs inside `deals serve` by default (DEALS_RUN_BACKGROUND=true) and in `deals worker` processes. Each kind of
work is a component factory listed in COMPONENTS; a component starts threads in `start()` and ends them in `stop()`.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Protocol

from service.settings import Settings

log = logging.getLogger(__name__)


class Component(Protocol):
    def start(self) -> None: ...

    def stop(self) -> None: ...


ComponentFactory = Callable[[Settings], Component]

# Factories of the background components; modules that provide one add it here.
COMPONENTS: list[ComponentFactory] = []


def deal_list_worker(settings: Settings) -> Component:
    """The deal list projection (service/projections/deal_list.py), in one process at a time."""
    from service.projections.deal_list import DealListWorker

    return DealListWorker(settings)


COMPONENTS.append(deal_list_worker)


def webhook_delivery(settings: Settings) -> Component:
    """Webhook delivery (service/webhooks/component.py): the sender here, the outbox in one process at a time."""
    from service.webhooks.component import WebhookDelivery

    return WebhookDelivery(settings)


COMPONENTS.append(webhook_delivery)


def ledger_worker(settings: Settings) -> Component:
    """The log's Merkle tree and signed checkpoints (service/ledger/), in one process at a time."""
    from service.ledger.follower import LedgerWorker

    return LedgerWorker(settings)


COMPONENTS.append(ledger_worker)


class Background:
    """The running components, started in order and stopped in reverse."""

    def __init__(self, settings: Settings, factories: list[ComponentFactory] | None = None) -> None:
        self.settings = settings
        self.factories = COMPONENTS if factories is None else factories
        self.running: list[Component] = []

    def start(self) -> None:
        for factory in self.factories:
            component = factory(self.settings)
            component.start()
            self.running.append(component)
            log.info("started %s", type(component).__name__)

    def stop(self) -> None:
        while self.running:
            component = self.running.pop()
            try:
                component.stop()
            except Exception:
                log.exception("stopping %s failed", type(component).__name__)
