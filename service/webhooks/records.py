"""What the webhook tables hold, as plain values passed between the store, the outbox, the sender and the API."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from uuid import UUID


@dataclass(frozen=True)
class Endpoint:
    id: UUID
    url: str
    description: str | None
    event_types: list[str]
    deal_ids: list[str] | None
    secret: str
    previous_secret: str | None
    previous_secret_expires_at: datetime | None
    enabled: bool
    disabled_reason: str | None
    disabled_at: datetime | None
    failing_since: datetime | None
    after_position: int
    created_at: datetime
    updated_at: datetime

    def secrets(self, now: datetime) -> list[str]:
        """The secrets deliveries are signed with: the current one, and the previous one during its grace period."""
        if self.previous_secret and self.previous_secret_expires_at and self.previous_secret_expires_at > now:
            return [self.secret, self.previous_secret]
        return [self.secret]


@dataclass(frozen=True)
class Message:
    """One webhook body, signed and sent as is on every attempt: a deal event, or a test."""

    id: UUID
    type: str
    body: str
    recorded_at: datetime
    position: int | None = None
    deal_id: UUID | None = None
    version: int | None = None


@dataclass(frozen=True)
class Claimed:
    """A delivery leased to this sender until `lease_until`."""

    delivery_id: int
    endpoint_id: UUID
    deal_id: UUID | None
    url: str
    secrets: list[str]
    message_id: UUID
    body: str
    attempts_made: int
    lease_until: datetime


@dataclass(frozen=True)
class Outcome:
    """What one attempt gave, and what follows from it."""

    delivery_id: int
    endpoint_id: UUID
    deal_id: UUID | None
    lease_until: datetime
    attempted_at: datetime
    succeeded: bool
    latency_ms: float
    status_code: int | None = None
    response_body: str | None = None
    error: str | None = None
    next_attempt_at: datetime | None = None
    gone: bool = False


@dataclass(frozen=True)
class Attempt:
    attempted_at: datetime
    status_code: int | None
    latency_ms: float | None
    response_body: str | None
    error: str | None


@dataclass(frozen=True)
class Delivery:
    id: int
    endpoint_id: UUID
    message_id: UUID
    type: str
    deal_id: UUID | None
    version: int | None
    position: int | None
    origin: str
    status: str
    attempts_made: int
    next_attempt_at: datetime | None
    created_at: datetime
    finished_at: datetime | None
    attempts: list[Attempt] = field(default_factory=list)


@dataclass(frozen=True)
class Notice:
    type: str
    created_at: datetime
    reason: str


@dataclass(frozen=True)
class Recovered:
    queued: int
    first_position: int | None
    last_position: int | None
    already_pending: int = 0
