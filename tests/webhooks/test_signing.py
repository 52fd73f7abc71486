"""Standard Webhooks signatures verify with the `standardwebhooks` package, with one secret or two (rotation)."""

from __future__ import annotations

import base64
from datetime import UTC, datetime, timedelta, timezone

import pytest
from standardwebhooks import Webhook, WebhookVerificationError

from service.webhooks.signing import new_secret, signed_headers

BODY = '{"type":"deal.signing_withheld","timestamp":"2025-02-15T12:00:00+01:00","data":{}}'


def test_a_new_secret_is_whsec_and_the_base64_of_32_random_bytes() -> None:
    secret = new_secret()

    assert secret.startswith("whsec_")
    assert len(base64.b64decode(secret.removeprefix("whsec_"), validate=True)) == 32
    assert new_secret() != secret


def test_the_signature_matches_the_standard_webhooks_test_vector() -> None:
    at = datetime.fromtimestamp(1614265330, UTC)

    headers = signed_headers("msg_p5jXN8AQM9LWM0D4loKWxJek", at, '{"test": 2432232314}',
                             ["whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"])

    assert headers == {
        "webhook-id": "msg_p5jXN8AQM9LWM0D4loKWxJek",
        "webhook-timestamp": "1614265330",
        "webhook-signature": "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=",
    }


def test_a_receiver_verifies_the_headers_with_the_standardwebhooks_package() -> None:
    secret = new_secret()
    headers = signed_headers("5b6f1d0e-8f7a-5c3b-9e2d-1a4b7c8d9e0f", datetime.now(UTC), BODY, [secret])

    assert Webhook(secret).verify(BODY, headers)["type"] == "deal.signing_withheld"


def test_a_time_with_another_offset_signs_the_same_instant() -> None:
    secret = new_secret()
    kyiv = datetime.now(timezone(timedelta(hours=2)))

    headers = signed_headers("id-1", kyiv, BODY, [secret])

    assert headers["webhook-timestamp"] == str(int(kyiv.timestamp()))
    Webhook(secret).verify(BODY, headers)


def test_during_a_rotation_both_secrets_verify_and_a_stranger_does_not() -> None:
    new, old = new_secret(), new_secret()
    headers = signed_headers("id-2", datetime.now(UTC), BODY, [new, old])

    assert len(headers["webhook-signature"].split(" ")) == 2
    Webhook(new).verify(BODY, headers)
    Webhook(old).verify(BODY, headers)
    with pytest.raises(WebhookVerificationError):
        Webhook(new_secret()).verify(BODY, headers)


def test_a_changed_body_does_not_verify() -> None:
    secret = new_secret()
    headers = signed_headers("id-3", datetime.now(UTC), BODY, [secret])

    with pytest.raises(WebhookVerificationError):
        Webhook(secret).verify(BODY.replace("withheld", "authorized"), headers)
