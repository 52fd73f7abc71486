"""The public contract of webhooks: endpoint management, the delivery log, recovery, and the bodies receivers get."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any, Literal
from uuid import UUID

from pydantic import Field, StringConstraints

from domain.values import DealStatus
from service.wire.schemas import BallOut, EventOut, Position, Schema, Time

WebhookUrl = Annotated[str, StringConstraints(min_length=1, max_length=2_000)]
Description = Annotated[str, StringConstraints(max_length=500)]
EventTypePattern = Annotated[str, StringConstraints(min_length=1, max_length=100)]
EventTypes = Annotated[
    list[EventTypePattern],
    Field(min_length=1, max_length=100, description="`*`, `deal.*` or exact types such as `deal.signing_withheld`."),
]
DealIds = Annotated[list[UUID], Field(max_length=1_000, description="Only these deals; null or absent: every deal.")]

ENDPOINT_EXAMPLE = {
    "url": "https://hooks.example.com/deals",
    "description": "negotiation desk",
    "event_types": ["deal.signing_withheld", "deal.proposal_tendered"],
}


class EndpointCreate(Schema):
    url: WebhookUrl = Field(description="http(s) URL that receives POSTs; must resolve to public addresses.")
    description: Description | None = None
    event_types: EventTypes = Field(default_factory=lambda: ["*"])
    deal_ids: DealIds | None = None


class EndpointUpdate(Schema):
    """Only the fields sent change; `deal_ids: null` lifts the deal filter."""

    url: WebhookUrl | None = None
    description: Description | None = None
    event_types: EventTypes | None = None
    deal_ids: DealIds | None = None


class NoticeOut(Schema):
    type: str = Field(description="`webhook.endpoint_failing` (half way to being disabled: every attempt has failed "
                                  "for half of DEALS_WEBHOOK_DISABLE_AFTER) or `webhook.endpoint_disabled`")
    created_at: datetime
    reason: str


class EndpointOut(Schema):
    id: UUID
    url: str
    description: str | None
    event_types: list[str]
    deal_ids: list[UUID] | None
    enabled: bool
    disabled_reason: str | None = Field(description="Why it was disabled: by a client, 410 Gone, or failing.")
    disabled_at: datetime | None
    failing_since: datetime | None = Field(description="First failed attempt since the last success, if any.")
    after_position: int = Field(description="The log's head when the endpoint was created: later events are sent, "
                                "earlier ones on recover.")
    previous_secret_expires_at: datetime | None = Field(
        description="Until then deliveries are also signed with the secret before the last rotation."
    )
    created_at: datetime
    updated_at: datetime
    notices: list[NoticeOut] = Field(description="Latest notices about the endpoint, newest first.")


class SecretWithheld(Schema):
    """In a replay (`Idempotent-Replayed: true`) of an answer that showed a secret: the secret is not stored with
    idempotent answers, so it is not shown again."""

    reason: str = Field(description="Why `secret` is null: it was shown once, in the first answer to this request.")
    rotate_secret: str = Field(description="POST here for a new secret (the one shown once keeps signing during "
                                           "the grace period).")


SECRET_WITHHELD = Field(None, description="Set (and `secret` null) only in an idempotent replay: the secret was "
                                          "shown once, see `rotate_secret`.")


class EndpointCreated(EndpointOut):
    secret: str | None = Field(description="The signing secret (`whsec_…`). Shown only here and on rotation: keep "
                                           "it. Null in an idempotent replay (see `secret_withheld`).")
    secret_withheld: SecretWithheld | None = SECRET_WITHHELD


class EndpointPage(Schema):
    items: list[EndpointOut]


class RotateSecret(Schema):
    grace_period_seconds: Annotated[int, Field(ge=0, le=604_800)] | None = Field(
        None, description="How long the old secret keeps signing too (default DEALS_WEBHOOK_ROTATION_GRACE, 24 h)."
    )


class SecretOut(Schema):
    secret: str | None = Field(description="The new signing secret, shown once. Null in an idempotent replay (see "
                                           "`secret_withheld`).")
    previous_secret_expires_at: datetime | None
    secret_withheld: SecretWithheld | None = SECRET_WITHHELD


class AttemptOut(Schema):
    attempted_at: datetime
    status_code: int | None = Field(description="HTTP status, or null when no response came.")
    latency_ms: float | None
    response_body: str | None = Field(description="The first 4 KiB of the response body.")
    error: str | None = Field(description="Why the attempt failed without a response: timeout, connect, refused …")


class DeliveryOut(Schema):
    id: int
    endpoint_id: UUID
    webhook_id: UUID = Field(description="The `webhook-id` header: the event's id, the same on every attempt.")
    type: str
    deal_id: UUID | None
    version: int | None
    position: int | None
    origin: Literal["event", "recover", "test"]
    status: Literal["pending", "succeeded", "failed"]
    attempts_made: int
    next_attempt_at: datetime | None
    created_at: datetime
    finished_at: datetime | None
    attempts: list[AttemptOut]


class DeliveryPage(Schema):
    items: list[DeliveryOut]
    next_cursor: str | None = Field(None, description="Pass as `cursor` for older deliveries.")


class RecoverIn(Schema):
    """Re-send every event from a position (or a time) on: give exactly one of `from_position` and `since`."""

    from_position: Position | None = None
    since: Time | None = Field(None, description="Start at the first event recorded at or after this time.")
    until_position: Position | None = Field(None, description="Last position to re-send.")
    confirm: bool = Field(False, description="Needed when the recover would queue more than "
                                             "DEALS_WEBHOOK_RECOVER_CONFIRM_ABOVE (1,000) deliveries; without it such "
                                             "a recover queues nothing and answers 422 `recover_confirm_required` "
                                             "with `would_queue`.")


class RecoverOut(Schema):
    queued: int = Field(description="Deliveries queued: events in the range that the endpoint's filters select and "
                                    "that it has not queued already.")
    already_pending: int = Field(description="Events of the range the endpoint had queued already (waiting or in "
                                             "flight): not queued again, so repeating a recover queues nothing twice.")
    first_position: int | None
    last_position: int | None


# ---- what receivers get ---------------------------------------------------------------------------------------


class DealState(Schema):
    status: DealStatus
    awaiting: BallOut


class DealEventData(EventOut):
    deal: DealState = Field(description="The deal right after this event.")


class DealEventPayload(Schema):
    """The body of a deal event webhook; `webhook-id` is `data.event_id`."""

    type: str = Field(description="`deal.` + the event type, e.g. `deal.signing_withheld`.")
    timestamp: datetime = Field(description="When the event occurred (its occurred_at).")
    data: DealEventData


class WebhookTestPayload(Schema):
    """The body `POST /webhooks/{id}/test` sends."""

    type: Literal["webhook.test"]
    timestamp: datetime
    data: dict[str, Any]
