"""One delivery attempt: check the address, sign, POST to the checked address, and judge what came back."""

from __future__ import annotations

import asyncio
import socket
import ssl
import time
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from service.settings import Settings
from service.webhooks import http1, retry, ssrf
from service.webhooks import target as wire
from service.webhooks.records import Claimed, Outcome
from service.webhooks.signing import signed_headers

RESPONSE_KEPT = 4096
USER_AGENT = "deals-webhooks/1"


@dataclass(frozen=True)
class Response:
    status_code: int
    body: str
    retry_after: str | None


class Attempts:
    """Sends claimed deliveries (no redirects, one deadline for the whole exchange) and says what happens next.
    Used from one event loop; `tls` replaces the system's trusted certificates (tests)."""

    def __init__(self, settings: Settings, tls: ssl.SSLContext | None = None) -> None:
        self.settings = settings
        self.policy = ssrf.Policy(settings.webhook_allow_loopback, settings.webhook_allow_private)
        self.client = http1.Client(tls)

    async def attempt(self, claimed: Claimed) -> Outcome:
        attempted_at = datetime.now(UTC)
        started = time.monotonic()
        response: Response | None = None
        error: str | None = None
        try:
            async with asyncio.timeout(self.settings.webhook_timeout):
                response = await self._post(claimed, attempted_at)
        except ssrf.Refused as refused:
            error = f"refused: {refused.reason}"
        except TimeoutError:
            error = "timeout"
        except ssl.SSLError as failure:
            error = f"tls_error: {failure}"[:300]
        except http1.ProtocolError as failure:
            error = f"protocol_error: {failure}"[:300]
        except OSError as failure:
            error = f"connect_error: {failure}"[:300]
        except Exception as failure:  # a bug or an odd answer must cost an attempt, never stall the delivery
            error = f"internal: {type(failure).__name__}: {failure}"[:300]
        latency_ms = (time.monotonic() - started) * 1000
        return self.judge(claimed, attempted_at, latency_ms, response, error)

    def judge(self, claimed: Claimed, attempted_at: datetime, latency_ms: float, response: Response | None,
              error: str | None) -> Outcome:
        succeeded = response is not None and 200 <= response.status_code < 300
        next_attempt_at = None
        if not succeeded:
            delay = retry.next_delay(claimed.attempts_made + 1, self.settings.webhook_retry_schedule,
                                     self.settings.webhook_jitter)
            if delay is not None:
                asked = retry.parse_retry_after(response.retry_after if response else None, attempted_at)
                delay = retry.delay_honouring(delay, asked, self.settings.webhook_retry_after_max)
                next_attempt_at = attempted_at + timedelta(seconds=delay)
        return Outcome(
            delivery_id=claimed.delivery_id, endpoint_id=claimed.endpoint_id, deal_id=claimed.deal_id,
            lease_until=claimed.lease_until,
            attempted_at=attempted_at, succeeded=succeeded, latency_ms=round(latency_ms, 3),
            status_code=response.status_code if response else None, response_body=response.body if response else None,
            error=error, next_attempt_at=next_attempt_at, gone=response is not None and response.status_code == 410,
        )

    async def _post(self, claimed: Claimed, now: datetime) -> Response:
        target = ssrf.parse_target(claimed.url)
        address = ssrf.literal_address(target.host)
        if address is not None:
            addresses = ssrf.checked([address], self.policy)
        else:
            try:
                infos = await asyncio.get_running_loop().getaddrinfo(target.host, target.port, type=socket.SOCK_STREAM)
            except (socket.gaierror, UnicodeError) as failure:
                raise ssrf.Refused(f"host {target.host} does not resolve ({failure})") from None
            addresses = ssrf.checked(ssrf.addresses_from(infos), self.policy)
        headers = {
            "host": wire.host_header(claimed.url),
            **signed_headers(str(claimed.message_id), now, claimed.body, claimed.secrets),
            "content-type": "application/json",
            "user-agent": USER_AGENT,
        }
        # Connect to the address that was checked, not to whatever the name resolves to a moment later; TLS
        # still verifies the certificate against the URL's host name.
        answer = await self.client.post(
            str(addresses[0]), target.port, target.host if target.scheme == "https" else None,
            wire.request_target(claimed.url), headers, claimed.body.encode(),
            RESPONSE_KEPT,
        )
        body = bytes(answer.body[:RESPONSE_KEPT]).decode("utf-8", errors="replace").replace("\x00", "")
        return Response(answer.status, body, answer.headers.get("retry-after"))

    async def aclose(self) -> None:
        await self.client.aclose()
