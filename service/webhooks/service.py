"""Endpoint management, the delivery log and recovery: what the /webhooks routes ask for, on the webhook tables."""

from __future__ import annotations

import threading
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from typing import Any
from uuid import UUID, uuid4

from domain.errors import InvalidValue
from service.observability.metrics import register_backlog_probe
from service.settings import Settings
from service.webhooks import filters, payload, ssrf
from service.webhooks.backlog import pending_deliveries
from service.webhooks.component import close_store, open_store
from service.webhooks.errors import DeliveryNotFound, UnsafeUrl, WebhookNotFound
from service.webhooks.records import Delivery, Endpoint, Recovered
from service.webhooks.schemas import EndpointCreate, EndpointUpdate, RecoverIn
from service.webhooks.signing import new_secret
from service.webhooks.store import WebhookStore


def now() -> datetime:
    return datetime.now(UTC)


class Webhooks:
    """Opened on first use (a process that never touches webhooks opens no connections for them)."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self.policy = ssrf.Policy(settings.webhook_allow_loopback, settings.webhook_allow_private)
        self._lock = threading.Lock()
        self._store: WebhookStore | None = None
        register_backlog_probe("webhooks", pending_deliveries)

    @property
    def store(self) -> WebhookStore:
        with self._lock:
            if self._store is None:
                self._store = open_store(self.settings)
            return self._store

    def close(self) -> None:
        with self._lock:
            if self._store is not None:
                close_store(self._store)
                self._store = None

    # ---- endpoints ------------------------------------------------------------------------------------------

    def create(self, body: EndpointCreate, head_position: int) -> Endpoint:
        """A new endpoint gets the events recorded after the log's head now (older ones through recover)."""
        self._check_url(body.url)
        _check_patterns(body.event_types)
        at = now()
        endpoint = Endpoint(
            id=uuid4(), url=body.url, description=body.description, event_types=list(dict.fromkeys(body.event_types)),
            deal_ids=_deal_ids(body.deal_ids), secret=new_secret(), previous_secret=None,
            previous_secret_expires_at=None, enabled=True, disabled_reason=None, disabled_at=None,
            failing_since=None, after_position=head_position, created_at=at, updated_at=at,
        )
        self.store.add_endpoint(endpoint)
        return endpoint

    def get(self, endpoint_id: UUID) -> Endpoint:
        endpoint = self.store.endpoint(endpoint_id)
        if endpoint is None:
            raise WebhookNotFound(endpoint_id)
        return endpoint

    def update(self, endpoint_id: UUID, body: EndpointUpdate) -> Endpoint:
        self.get(endpoint_id)
        changes: dict[str, Any] = {}
        sent = body.model_fields_set
        for name in ("url", "description", "event_types"):
            if name in sent and (getattr(body, name) is not None or name == "description"):
                changes[name] = getattr(body, name)
        if "url" in changes:
            self._check_url(changes["url"])
        if "event_types" in changes:
            _check_patterns(changes["event_types"])
            changes["event_types"] = list(dict.fromkeys(changes["event_types"]))
        if "deal_ids" in sent:
            changes["deal_ids"] = _deal_ids(body.deal_ids)
        return self._update(endpoint_id, **changes)

    def enable(self, endpoint_id: UUID) -> Endpoint:
        self.get(endpoint_id)
        return self._update(endpoint_id, enabled=True, disabled_reason=None, disabled_at=None, failing_since=None)

    def disable(self, endpoint_id: UUID) -> Endpoint:
        endpoint = self.get(endpoint_id)
        if not endpoint.enabled:
            return endpoint
        return self._update(endpoint_id, enabled=False, disabled_reason="disabled by a client", disabled_at=now())

    def delete(self, endpoint_id: UUID) -> None:
        self.get(endpoint_id)
        self.store.update_endpoint(endpoint_id, now(), enabled=False, deleted_at=now())

    def rotate_secret(self, endpoint_id: UUID, grace_period_seconds: float | None) -> Endpoint:
        endpoint = self.get(endpoint_id)
        grace = self.settings.webhook_rotation_grace if grace_period_seconds is None else grace_period_seconds
        return self._update(endpoint_id, secret=new_secret(), previous_secret=endpoint.secret,
                            previous_secret_expires_at=now() + timedelta(seconds=grace))

    def _update(self, endpoint_id: UUID, **changes: Any) -> Endpoint:
        endpoint = self.store.update_endpoint(endpoint_id, now(), **changes)
        if endpoint is None:
            raise WebhookNotFound(endpoint_id)
        return endpoint

    def _check_url(self, url: str) -> None:
        try:
            ssrf.resolve(ssrf.parse_target(url), self.policy)
        except ssrf.Refused as refused:
            raise UnsafeUrl("url", refused.reason) from None

    # ---- deliveries ---------------------------------------------------------------------------------------

    def deliveries(self, endpoint_id: UUID, limit: int, cursor: str | None, status: str | None) -> list[Delivery]:
        self.get(endpoint_id)
        before = None
        if cursor is not None:
            if not cursor.isdigit() or len(cursor) > 18:
                raise InvalidValue("cursor", "must be the next_cursor of a previous page")
            before = int(cursor)
        return self.store.deliveries(endpoint_id, limit, before, status)

    def delivery(self, endpoint_id: UUID, delivery_id: int) -> Delivery:
        self.get(endpoint_id)
        delivery = self.store.delivery(endpoint_id, delivery_id)
        if delivery is None:
            raise DeliveryNotFound(endpoint_id, delivery_id)
        return delivery

    def retry(self, endpoint_id: UUID, delivery_id: int) -> Delivery:
        self.delivery(endpoint_id, delivery_id)
        delivery = self.store.retry(endpoint_id, delivery_id, now())
        assert delivery is not None
        return delivery

    def send_test(self, endpoint_id: UUID) -> Delivery:
        self.get(endpoint_id)
        delivery_id = self.store.send_test(endpoint_id, payload.ping_message(endpoint_id, now()))
        return self.delivery(endpoint_id, delivery_id)

    def recover(self, endpoint_id: UUID, body: RecoverIn) -> Recovered:
        endpoint = self.get(endpoint_id)
        if (body.from_position is None) == (body.since is None):
            raise InvalidValue("from_position", "or since is needed: exactly one of them")
        start = body.from_position
        if body.since is not None:
            start = self.store.position_since(body.since)
            if start is None:
                return Recovered(0, None, None, 0)
        assert start is not None
        if body.until_position is not None and body.until_position < start:
            raise InvalidValue("until_position", f"must not be before the first position ({start})")
        confirm_above = None if body.confirm else self.settings.webhook_recover_confirm_above
        return self.store.recover(endpoint_id, start, body.until_position, filters.exact_types(endpoint.event_types),
                                  endpoint.deal_ids, now(), confirm_above)


def _check_patterns(patterns: Sequence[str]) -> None:
    for index, pattern in enumerate(patterns):
        reason = filters.pattern_error(pattern)
        if reason is not None:
            raise InvalidValue(f"event_types[{index}]", reason)


def _deal_ids(deal_ids: Sequence[UUID] | None) -> list[str] | None:
    return None if not deal_ids else list(dict.fromkeys(str(d) for d in deal_ids))
