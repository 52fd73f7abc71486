"""An idempotency key as a small aggregate: claimed by the request that first used it (in the transaction of the
events it produced), then answered with the response that request got. A claim older than the keys' lifetime may
be claimed again by a new request."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any
from uuid import NAMESPACE_URL, UUID, uuid5

from eventsourcing.domain import Aggregate

NAMESPACE = uuid5(NAMESPACE_URL, "urn:deals:idempotency-key")
KEY_ID_VERSION = 8  # marks the ids as ours; the ids of keys stored already must not change


def key_id(principal: str, method: str, path: str, key: str) -> UUID:
    """One record per client key, route and caller."""
    raw = bytearray(uuid5(NAMESPACE, "\n".join((principal, method, path, key))).bytes)
    raw[6] = (raw[6] & 0x0F) | (KEY_ID_VERSION << 4)
    return UUID(bytes=bytes(raw))


class IdempotencyKey(Aggregate):
    class Claimed(Aggregate.Created):
        fingerprint: str
        request: str
        deal_id: str | None
        deal_version: int | None

        def apply(self, key: Aggregate) -> None:
            key._claim(self)  # type: ignore[attr-defined]  # the key's own aggregate: eventsourcing types apply()'s argument as Aggregate

    class Reclaimed(Aggregate.Event):
        fingerprint: str
        request: str
        deal_id: str | None
        deal_version: int | None

        def apply(self, key: Aggregate) -> None:
            key._claim(self)  # type: ignore[attr-defined]  # the key's own aggregate: eventsourcing types apply()'s argument as Aggregate

    class Answered(Aggregate.Event):
        status: int
        headers: dict[str, str]
        body: str

        def apply(self, key: Aggregate) -> None:
            key.answer = (self.status, dict(self.headers), self.body)  # type: ignore[attr-defined]  # the key's own aggregate: eventsourcing types apply()'s argument as Aggregate

    @classmethod
    def claim(cls, key: UUID, fingerprint: str, request: str, deal_id: UUID | None, deal_version: int | None,
              ) -> IdempotencyKey:
        return cls._create(cls.Claimed, id=key, fingerprint=fingerprint, request=request,
                           deal_id=str(deal_id) if deal_id else None, deal_version=deal_version)

    def reclaim(self, fingerprint: str, request: str, deal_id: UUID | None, deal_version: int | None) -> None:
        self.trigger_event(self.Reclaimed, fingerprint=fingerprint, request=request,
                           deal_id=str(deal_id) if deal_id else None, deal_version=deal_version)

    def respond(self, status: int, headers: dict[str, str], body: str) -> None:
        self.trigger_event(self.Answered, status=status, headers=headers, body=body)

    def expired(self, now: datetime, ttl: timedelta) -> bool:
        return now - self.claimed_at > ttl

    def _claim(self, event: Any) -> None:
        self.fingerprint = event.fingerprint
        self.request = event.request
        self.deal_id = event.deal_id
        self.deal_version = event.deal_version
        self.claimed_at = event.timestamp
        self.answer: tuple[int, dict[str, str], str] | None = None
