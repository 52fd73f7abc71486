"""Every HTTP request gets an id (the client's X-Request-ID when well-formed), one JSON access-log line, a latency
observation by route template, and a problem+json 500 if something inside fails unexpectedly."""

from __future__ import annotations

import json
import logging
import re
import time
import uuid
from dataclasses import dataclass

from starlette.routing import Match, Router, compile_path
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
        self._templates: list[tuple[re.Pattern[str], str]] | None = None

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
        """The route template (`/deals/{deal_id}`), also for requests refused before routing (401, 403, 413…);
        bounded cardinality."""
        route = getattr(scope.get("route"), "path", None)
        if route:
            return route
        for candidate in self.router.routes:
            path = getattr(candidate, "path", None)
            if path and candidate.matches(scope)[0] is Match.FULL:
                return path
        return self._template_of(scope) or "unmatched"

    def _template_of(self, scope: Scope) -> str | None:
        """The path template the request's path fits, from the API's own description (included routers, whose
        routes the router does not list one by one, are there too); literal segments win over parameters."""
        if self._templates is None:
            app = scope.get("app")
            try:
                paths = list(app.openapi()["paths"]) if app is not None else []
            except Exception:
                error_log.warning("route templates unavailable for refused requests", exc_info=True)
                paths = []
            paths.sort(key=lambda p: (p.count("{"), -len(p)))
            self._templates = [(compile_path(p)[0], p) for p in paths]
        path = scope.get("path", "")
        return next((template for pattern, template in self._templates if pattern.match(path)), None)


def _problem_code(body: bytes) -> str | None:
    try:
        return json.loads(body).get("code")
    except (ValueError, AttributeError):
        return None
