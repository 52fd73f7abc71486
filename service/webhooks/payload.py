"""The bodies receivers get, built once per event and stored, so every attempt and every re-send carries the same
bytes: `{"type": "deal.<event type>", "timestamp": occurred_at, "data": envelope + fields + the deal after it}`."""

from __future__ import annotations

from datetime import datetime
from uuid import UUID, uuid4

from domain import Deal, DealEvent
from service.webhooks.filters import TEST_TYPE
from service.webhooks.records import Message
from service.webhooks.schemas import DealEventPayload, WebhookTestPayload
from service.wire import documents


def deal_message(event: DealEvent, position: int, deal_after: Deal) -> Message:
    envelope = documents.event_out(event, position)
    kind = f"deal.{event.type_name}"
    body = DealEventPayload.model_validate({
        "type": kind,
        "timestamp": event.occurred_at,
        "data": {**envelope, "deal": {"status": deal_after.status, "awaiting": documents.jsonable(deal_after.ball)}},
    })
    return Message(
        id=envelope["event_id"], type=kind, body=body.model_dump_json(), recorded_at=event.timestamp,
        position=position, deal_id=event.originator_id, version=event.originator_version,
    )


def ping_message(endpoint_id: UUID, now: datetime) -> Message:
    body = WebhookTestPayload(type="webhook.test", timestamp=now, data={
        "endpoint_id": str(endpoint_id), "message": "a test event: no deal changed",
    })
    return Message(id=uuid4(), type=TEST_TYPE, body=body.model_dump_json(), recorded_at=now)
