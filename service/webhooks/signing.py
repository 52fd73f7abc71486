"""Standard Webhooks signatures: `webhook-id`, `webhook-timestamp` and `webhook-signature` over `id.timestamp.body`."""

from __future__ import annotations

import base64
import secrets as random_bytes
from collections.abc import Sequence
from datetime import UTC, datetime

from standardwebhooks import Webhook

SECRET_PREFIX = "whsec_"


def new_secret() -> str:
    """A signing secret: `whsec_` and the base64 of 32 random bytes."""
    return SECRET_PREFIX + base64.b64encode(random_bytes.token_bytes(32)).decode()


def signed_headers(message_id: str, at: datetime, body: str, secrets: Sequence[str]) -> dict[str, str]:
    """The three Standard Webhooks headers; with several secrets (during a rotation) the signature header lists
    one `v1,` signature per secret, separated by spaces, so a receiver holding either secret verifies."""
    # The library signs the timestamp as UTC whole seconds; an aware non-UTC time would be misread.
    at = at.astimezone(UTC).replace(microsecond=0)
    signatures = " ".join(Webhook(secret).sign(message_id, at, body) for secret in secrets)
    return {
        "webhook-id": message_id,
        "webhook-timestamp": str(int(at.timestamp())),
        "webhook-signature": signatures,
    }
