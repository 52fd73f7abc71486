"""Every HTTP request gets an id (the client's X-Request-ID when well-formed), one JSON access-log line, a latency
observation by route template, and a problem+json 500 if something inside fails unexpectedly."""

from __future__ import annotations

import json
import logging
import time
import uuid
from dataclasses import dataclass

from starlette.routing import Match, Router
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from service.http.problem import problem
from service.observability.logs import REQUEST_ID, REQUEST_ID_PATTERN
from service.observability.metrics import REQUEST_DURATION, VERSION_CONFLICTS

access_log = logging.getLogger("deals.access")
error_log = logging.getLogger("deals.errors")
CONFLICT_CODES = frozenset({"stale_version", "write_conflict"})


def incoming_request_id(scope: Scope) -> str | None:
    for name, value in scope.get("headers", ()):
        if name == b"x-request-id":
            text = value.decode("latin-1")
            return text if REQUEST_ID_PATTERN.match(text) else None
    return None


@dataclass
class _Outcome:
    status: int = 500
    started: bool = False
    body: bytes = b""  # kept only for 409/412, to count version conflicts by their problem code


class RequestMiddleware:
    def __init__(self, app: ASGIApp, router: Router) -> None:
        self.app = app
        self.router = router

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        request_id = incoming_request_id(scope) or uuid.uuid4().hex
        token = REQUEST_ID.set(request_id)
        started = time.perf_counter()
        outcome = _Outcome()

        async def send_with_id(message: Message) -> None:
            if message["type"] == "http.response.start":
                outcome.status, outcome.started = message["status"], True
                message["headers"] = [*message.get("headers", []), (b"x-request-id", request_id.encode())]
            elif message["type"] == "http.response.body" and outcome.status in (409, 412):
                outcome.body = (outcome.body + message.get("body", b""))[:4096]
            await send(message)

        try:
            await self.app(scope, receive, send_with_id)
        except Exception:
            error_log.exception("unhandled error in %s %s", scope["method"], scope["path"])
            if outcome.started:
                raise
            response = problem(500, "internal_error", "the service failed unexpectedly; the request id names it in "
                               "the logs", request_id=request_id)
            await response(scope, receive, send_with_id)
        finally:
            self._record(scope, outcome.status, outcome.body, time.perf_counter() - started)
            REQUEST_ID.reset(token)

    def _record(self, scope: Scope, status: int, body: bytes, seconds: float) -> None:
        route = self._route(scope)
        REQUEST_DURATION.labels(scope["method"], route, str(status)).observe(seconds)
        if status in (409, 412):
            code = _problem_code(body)
            if code in CONFLICT_CODES:
                VERSION_CONFLICTS.labels(code).inc()
        client = scope.get("client")
        access_log.info(
            "request",
            extra={
                "method": scope["method"], "route": route, "path": scope["path"], "status": status,
                "duration_ms": round(seconds * 1000, 2), "client": client[0] if client else None,
                "api_key_id": scope.get("state", {}).get("api_key_id"),
            },
        )

    def _route(self, scope: Scope) -> str:
        """The route template (`/deals/{deal_id}`), also for requests refused before routing; bounded cardinality."""
        route = scope.get("route")
        if route is None:
            for candidate in self.router.routes:
                match, _ = candidate.matches(scope)
                if match is Match.FULL:
                    route = candidate
                    break
        return getattr(route, "path", None) or "unmatched"


def _problem_code(body: bytes) -> str | None:
    try:
        return json.loads(body).get("code")
    except (ValueError, AttributeError):
        return None
