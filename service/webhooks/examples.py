"""Examples for the OpenAPI document: requests, responses, and what a receiver gets."""

from __future__ import annotations

from typing import Any

ENDPOINT_ID = "6f1c1f8e-2a4b-4f7e-9a51-0c2d7e5b9a10"
DEAL_ID = "0b7e4c1a-9d2f-4e33-8a6b-5c1d2e3f4a5b"

CREATE: dict[str, dict[str, Any]] = {
    "every event": {"value": {"url": "https://hooks.example.com/deals", "description": "all deal events"}},
    "some types of some deals": {"value": {
        "url": "https://hooks.example.com/minerals",
        "event_types": ["deal.signing_withheld", "deal.proposal_tendered"],
        "deal_ids": [DEAL_ID],
    }},
}
UPDATE = {"new filters": {"value": {"event_types": ["deal.*"], "deal_ids": None}}}
ROTATE = {"keep the old secret for an hour": {"value": {"grace_period_seconds": 3600}}}
RECOVER = {
    "from a position": {"value": {"from_position": 1200}},
    "a range": {"value": {"from_position": 1200, "until_position": 1300}},
    "since a time": {"value": {"since": "2025-02-15T00:00:00Z"}},
}

ENDPOINT_OUT = {
    "id": ENDPOINT_ID, "url": "https://hooks.example.com/deals", "description": "all deal events",
    "event_types": ["*"], "deal_ids": None, "enabled": True, "disabled_reason": None, "disabled_at": None,
    "failing_since": None, "after_position": 1180, "previous_secret_expires_at": None,
    "created_at": "2025-02-15T11:00:00Z", "updated_at": "2025-02-15T11:00:00Z", "notices": [],
}
SECRET = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw0x5ZqI4vXmE="
ENDPOINT_CREATED = {**ENDPOINT_OUT, "secret": SECRET}
DELIVERY_OUT = {
    "id": 42, "endpoint_id": ENDPOINT_ID, "webhook_id": "5b6f1d0e-8f7a-5c3b-9e2d-1a4b7c8d9e0f",
    "type": "deal.signing_withheld", "deal_id": DEAL_ID, "version": 6, "position": 1234, "origin": "event",
    "status": "pending", "attempts_made": 1, "next_attempt_at": "2025-02-15T11:00:05Z",
    "created_at": "2025-02-15T11:00:00Z", "finished_at": None,
    "attempts": [{"attempted_at": "2025-02-15T11:00:00Z", "status_code": 503, "latency_ms": 41.7,
                  "response_body": "busy", "error": None}],
}
RECOVERED = {"queued": 101, "already_pending": 0, "first_position": 1200, "last_position": 1300}
DEAL_EVENT_BODY = {
    "type": "deal.signing_withheld",
    "timestamp": "2025-02-15T12:00:00+01:00",
    "data": {
        "event_id": "5b6f1d0e-8f7a-5c3b-9e2d-1a4b7c8d9e0f", "deal_id": DEAL_ID, "version": 6, "position": 1234,
        "type": "signing_withheld", "occurred_at": "2025-02-15T12:00:00+01:00",
        "recorded_at": "2025-02-15T11:00:00.120000Z",
        "data": {"by_party": "UA", "authorizer": "Volodymyr Zelenskyy", "reason_codes": ["no_security_guarantees"],
                 "signatories_affected": [], "proposal_id": "v1", "reason_text": None, "sources": [],
                 "occurred_at": "2025-02-15T12:00:00+01:00"},
        "deal": {"status": "signing_withheld",
                 "awaiting": {"party_ids": ["US"], "since": "2025-02-15T12:00:00+01:00",
                              "reason": "to revise proposal v1 after signing was withheld"}},
    },
}


def response(example: Any) -> dict[str, Any]:
    return {"content": {"application/json": {"example": example}}}
