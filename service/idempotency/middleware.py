"""Idempotency-Key on POST (ASGI middleware): the first request with a key runs and its response is kept; a retry
with the same key and body gets that response again (Idempotent-Replayed: true) without running; the same key with
another body is a 422. Two identical requests at once: in one process the second waits its turn and replays the
first answer; in two processes one claims the key in its write's transaction, the other loses on the key's primary
key, waits for the winner's answer and replays it. Only answers 2xx are kept: a
refused request stored nothing, so retrying it with the same key simply runs it again."""

from __future__ import annotations

import asyncio
import hashlib
import json
import logging
import os
import re
import time
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any
from uuid import UUID

import anyio
from eventsourcing.persistence import IntegrityError
from starlette.requests import ClientDisconnect
from starlette.responses import Response
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from service.http.body_limit import read_body, replay_body
from service.http.problem import problem
from service.idempotency.context import STATE, PendingClaim
from service.idempotency.keys import keep_key, load_key
from service.idempotency.record import IdempotencyKey, key_id
from service.observability.metrics import IDEMPOTENCY_REJECTIONS, IDEMPOTENT_REPLAYS

# The answer to a claimed deal write, rebuilt from the log (deals, the claimed record, the request's body); None when
# the claim names no deal write.
Rebuild = Callable[[Any, IdempotencyKey, bytes], Response | None]

log = logging.getLogger("deals.idempotency")
KEY_PATTERN = re.compile(r"^[\x21-\x7e]{1,255}$")
WAIT_SECONDS = 5.0  # how long a duplicate waits for the first request's answer before saying it is still running
PURGE_EVERY = 3600.0
NOT_KEPT = frozenset({b"content-length", b"date", b"server", b"x-request-id", b"set-cookie", b"connection",
                      b"transfer-encoding"})


@dataclass
class Captured:
    status: int = 500
    headers: list[tuple[bytes, bytes]] = field(default_factory=list)
    body: bytes = b""

    async def emit(self, send: Send) -> None:
        await send({"type": "http.response.start", "status": self.status, "headers": self.headers})
        await send({"type": "http.response.body", "body": self.body})


def header(scope: Scope, name: bytes) -> str | None:
    for key, value in scope.get("headers", ()):
        if key == name:
            return value.decode("latin-1")
    return None


def fingerprint(scope: Scope, body: bytes) -> str:
    """The request as the client meant it: JSON bodies compare by content, not by spacing or key order."""
    try:
        canonical = json.dumps(json.loads(body), sort_keys=True, separators=(",", ":")).encode()
    except ValueError:
        canonical = body
    digest = hashlib.sha256(scope["path"].encode() + b"?" + scope.get("query_string", b"") + b"\n" + canonical)
    return digest.hexdigest()


class IdempotencyMiddleware:
    def __init__(self, app: ASGIApp, ttl: timedelta, rebuild: Rebuild, exit_after_commit: bool = False) -> None:
        self.app = app
        self.ttl = ttl
        self.rebuild = rebuild  # the answer to a claimed write, from the log (given by the API: api/rebuilt_answers.py)
        self.exit_after_commit = exit_after_commit
        self.last_purge = 0.0
        self._locks: dict[UUID, asyncio.Lock] = {}
        self._waiting: dict[UUID, int] = {}

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        key = header(scope, b"idempotency-key") if scope["type"] == "http" and scope["method"] == "POST" else None
        if key is None:
            await self.app(scope, receive, send)
            return
        if not KEY_PATTERN.match(key):
            await problem(422, "invalid_idempotency_key", "Idempotency-Key: 1 to 255 visible ASCII characters",
                          field="Idempotency-Key")(scope, receive, send)
            return
        try:
            body = await read_body(receive)
        except ClientDisconnect:
            return
        receive = replay_body(body, receive)
        deals = scope["app"].state.deals
        principal = scope.get("state", {}).get("api_key_id") or "open"
        claim = PendingClaim(key_id(principal, "POST", scope["path"], key), fingerprint(scope, body),
                             f"POST {scope['path']}", body=body)
        async with self._turn(claim.key_id):
            await self._serve(claim, deals, scope, receive, send)

    @asynccontextmanager
    async def _turn(self, key: UUID) -> AsyncIterator[None]:
        """One request per key at a time in this process: a duplicate waits, then finds the answer to replay. (Two
        writes claiming one key in a single group-commit batch would fail together.) Across processes the key's
        primary key decides."""
        lock = self._locks.setdefault(key, asyncio.Lock())
        self._waiting[key] = self._waiting.get(key, 0) + 1
        try:
            async with lock:
                yield
        finally:
            self._waiting[key] -= 1
            if not self._waiting[key]:
                del self._waiting[key], self._locks[key]

    async def _serve(self, claim: PendingClaim, deals: Any, scope: Scope, receive: Receive, send: Send) -> None:
        existing = await self._load(deals, claim.key_id)
        if existing is not None and not existing.expired(datetime.now(UTC), self.ttl):
            await self._answer_with(existing, claim, deals, scope, receive, send)
            return
        claim.expired = existing
        state = scope.setdefault("state", {})
        state[STATE] = claim  # for the route, which hands it to its write (context.claim_of)
        try:
            captured = await self._run(scope, receive)
        except Exception:
            if claim.taken and await self._taken_by_twin(claim, deals, scope, receive, send):
                return
            raise
        finally:
            state.pop(STATE, None)
        if 200 <= captured.status < 300:
            if self.exit_after_commit:  # DEALS_TEST_FAULT: the crash between the commit and the kept answer
                log.critical("DEALS_TEST_FAULT=exit_after_commit: exiting after the commit, before keeping the answer")
                logging.shutdown()
                os._exit(70)
            await anyio.to_thread.run_sync(self._keep, deals, claim, captured)
        elif claim.taken and await self._taken_by_twin(claim, deals, scope, receive, send):
            return
        await captured.emit(send)

    async def _run(self, scope: Scope, receive: Receive) -> Captured:
        captured = Captured()

        async def keep(message: Message) -> None:
            if message["type"] == "http.response.start":
                captured.status, captured.headers = message["status"], list(message.get("headers", []))
            elif message["type"] == "http.response.body":
                captured.body += message.get("body", b"")

        await self.app(scope, receive, keep)
        return captured

    async def _taken_by_twin(self, claim: PendingClaim, deals: Any, scope: Scope, receive: Receive,
                             send: Send) -> bool:
        """This request's write failed: if a twin with the same key claimed it meanwhile, answer as the twin did."""
        twin = await self._load(deals, claim.key_id)
        if twin is None or (claim.expired is not None and twin.version == claim.expired.version):
            return False
        await self._answer_with(twin, claim, deals, scope, receive, send)
        return True

    async def _answer_with(self, record: IdempotencyKey, claim: PendingClaim, deals: Any, scope: Scope,
                           receive: Receive, send: Send) -> None:
        if record.fingerprint != claim.fingerprint:
            IDEMPOTENCY_REJECTIONS.labels("reused").inc()
            await problem(422, "idempotency_key_reused", "this Idempotency-Key was already used with a different "
                          "request; use a new key for a new request", field="Idempotency-Key")(scope, receive, send)
            return
        deadline = time.monotonic() + WAIT_SECONDS
        while record.answer is None and time.monotonic() < deadline:
            await anyio.sleep(0.05)
            record = await self._load(deals, claim.key_id) or record
        if record.answer is None:
            # Still none: the process that wrote died before keeping its answer (or is very slow): rebuild it.
            rebuilt = await anyio.to_thread.run_sync(self._rebuild, deals, record, claim)
            if rebuilt is not None:
                record = rebuilt
        if record.answer is None:
            IDEMPOTENCY_REJECTIONS.labels("in_progress").inc()
            await problem(409, "idempotency_in_progress", "a request with this Idempotency-Key was recorded but its "
                          "answer is not available yet; retry shortly, or read the deal", field="Idempotency-Key",
                          headers={"Retry-After": "1"}, deal_id=record.deal_id,
                          deal_version=record.deal_version)(scope, receive, send)
            return
        IDEMPOTENT_REPLAYS.inc()
        status, headers, body = record.answer
        response = Response(body.encode(), status_code=status, headers={**headers, "Idempotent-Replayed": "true"})
        await response(scope, receive, send)

    @staticmethod
    async def _load(deals: Any, key: UUID) -> IdempotencyKey | None:
        return await anyio.to_thread.run_sync(load_key, deals, key)

    def _rebuild(self, deals: Any, record: IdempotencyKey, claim: PendingClaim) -> IdempotencyKey | None:
        """The record answered from the log (and kept so, unless its writer kept its own meanwhile); None when the
        claim names no deal write."""
        try:
            response = self.rebuild(deals, record, claim.body)
        except Exception:
            log.warning("idempotency: the answer to %s could not be rebuilt", claim.request, exc_info=True)
            return None
        if response is None:
            return None
        headers = {k: v for k, v in response.headers.items() if k.encode("latin-1") not in NOT_KEPT}
        record.respond(response.status_code, headers, bytes(response.body).decode())
        try:
            keep_key(deals, record)
            log.info("idempotency: rebuilt the lost answer to %s from the log", claim.request)
        except IntegrityError:
            log.info("idempotency: the answer to %s was kept by its own request meanwhile", claim.request)
        except Exception:
            log.warning("idempotency: the rebuilt answer to %s could not be kept", claim.request, exc_info=True)
        return record

    def _keep(self, deals: Any, claim: PendingClaim, captured: Captured) -> None:
        """Store the answer on the claim the write saved (or, for a route that wrote no deal, claim and answer now)."""
        try:
            body = captured.body.decode()
        except UnicodeDecodeError:
            log.warning("idempotency: a binary answer to %s is not kept", claim.request)
            return
        if claim.kept is not None:
            body = claim.kept(body)
        headers = {k.decode("latin-1"): v.decode("latin-1") for k, v in captured.headers if k.lower() not in NOT_KEPT}
        record = self._stored_claim(deals, claim)
        if record is None:
            record = IdempotencyKey.claim(claim.key_id, claim.fingerprint, claim.request, None, None) \
                if claim.expired is None else claim.expired
            if claim.expired is not None:
                record.reclaim(claim.fingerprint, claim.request, None, None)
        record.respond(captured.status, headers, body)
        try:
            keep_key(deals, record)
        except IntegrityError:
            log.info("idempotency: a concurrent request with the same key answered first (%s)", claim.request)
        except Exception:
            log.warning("idempotency: the answer to %s could not be kept", claim.request, exc_info=True)
        self._purge(deals)

    @staticmethod
    def _stored_claim(deals: Any, claim: PendingClaim) -> IdempotencyKey | None:
        if not claim.taken:
            return None
        record = load_key(deals, claim.key_id)
        if record is None:
            return None
        fresh = claim.expired is None or record.version > claim.expired.version
        return record if fresh and record.answer is None and record.fingerprint == claim.fingerprint else None

    def _purge(self, deals: Any) -> None:
        if time.monotonic() - self.last_purge < PURGE_EVERY:
            return
        self.last_purge = time.monotonic()
        try:
            purged = deals.recorder.purge_keys(datetime.now(UTC) - self.ttl)
        except Exception:
            log.warning("idempotency: purging expired keys failed", exc_info=True)
            return
        if purged:
            log.info("idempotency: forgot %d expired key records", purged)
