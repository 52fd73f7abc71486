"""One delivery attempt: check the address, sign, POST to the checked address, and judge what came back."""

from __future__ import annotations

import asyncio
import socket
import time
from collections import OrderedDict
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import httpx

from service.settings import Settings
from service.webhooks import retry, ssrf
from service.webhooks.records import Claimed, Outcome
from service.webhooks.signing import signed_headers

RESPONSE_KEPT = 4096
USER_AGENT = "deals-webhooks/1"
CLIENTS_KEPT = 256


@dataclass(frozen=True)
class Response:
    status_code: int
    body: str
    retry_after: str | None


class Attempts:
    """Sends claimed deliveries over HTTP (no redirects, a total timeout) and says what should happen next."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self.policy = ssrf.Policy(settings.webhook_allow_loopback, settings.webhook_allow_private)
        # One client per host name: a TLS connection opened for one name (SNI) is never reused for another one
        # that happens to share its address.
        self._clients: OrderedDict[tuple[str, str], httpx.AsyncClient] = OrderedDict()

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
        except httpx.ConnectError as failure:
            error = f"connect_error: {failure}"[:300]
        except httpx.HTTPError as failure:
            error = f"{type(failure).__name__}: {failure}"[:300]
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
            delivery_id=claimed.delivery_id, endpoint_id=claimed.endpoint_id, lease_until=claimed.lease_until,
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
        url = httpx.URL(claimed.url)
        headers = {
            **signed_headers(str(claimed.message_id), now, claimed.body, claimed.secrets),
            "content-type": "application/json",
            "user-agent": USER_AGENT,
            "host": url.netloc.decode("ascii"),
        }
        # Connect to the address that was checked, not to whatever the name resolves to a moment later.
        request = self._client(target).build_request(
            "POST", url.copy_with(host=str(addresses[0])), content=claimed.body.encode(), headers=headers,
            extensions={"sni_hostname": target.host} if target.scheme == "https" else {},
        )
        response = await self._client(target).send(request, stream=True, follow_redirects=False)
        try:
            kept = bytearray()
            async for chunk in response.aiter_bytes():
                kept += chunk
                if len(kept) >= RESPONSE_KEPT:
                    break
        finally:
            await response.aclose()
        body = kept[:RESPONSE_KEPT].decode("utf-8", errors="replace").replace("\x00", "")
        return Response(response.status_code, body, response.headers.get("retry-after"))

    def _client(self, target: ssrf.Target) -> httpx.AsyncClient:
        key = (target.scheme, target.host)
        client = self._clients.get(key)
        if client is None:
            client = httpx.AsyncClient(
                timeout=self.settings.webhook_timeout, follow_redirects=False, trust_env=False,
                limits=httpx.Limits(max_connections=self.settings.webhook_concurrency, max_keepalive_connections=32),
            )
            self._clients[key] = client
            if len(self._clients) > CLIENTS_KEPT:
                _, oldest = self._clients.popitem(last=False)
                asyncio.get_running_loop().create_task(oldest.aclose())
        else:
            self._clients.move_to_end(key)
        return client

    async def aclose(self) -> None:
        for client in self._clients.values():
            await client.aclose()
        self._clients.clear()
