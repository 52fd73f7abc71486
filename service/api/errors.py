"""One table from error to HTTP status, and the API's exception handlers: every error is a problem+json body
(service/http/problem.py)."""

from __future__ import annotations

import logging
from typing import Any

from eventsourcing.persistence import InterfaceError, OperationalError
from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.routing import Match

from domain import EVENT_CLASSES
from domain import errors as de
from service.api.schemas import Problem
from service.application import DealNotFound
from service.http.openapi import add_openapi_hook
from service.http.problem import PROBLEM_JSON, TITLES, problem
from service.projections.read_models import ProjectionBehind
from service.replay.timetravel import OutsideHistory
from service.webhooks import errors as we
from service.write.errors import DealExists, StaleVersion, WriteConflict

RETRY_AFTER_SECONDS = 2
log = logging.getLogger(__name__)

STATUS: dict[type[de.DomainError], int] = {
    DealNotFound: 404,
    StaleVersion: 412,
    WriteConflict: 409,
    DealExists: 409,
    de.IllegalTransition: 409,
    de.NotAuthorized: 409,
    de.NoSigningAuthority: 422,
    de.BlockingConditionsOpen: 409,
    de.ConflictOfInterest: 409,
    de.AlreadyDone: 409,
    de.OutOfOrder: 409,
    de.RolesFixed: 409,
    de.InvalidValue: 422,
    de.UnknownReference: 422,
    OutsideHistory: 422,
    ProjectionBehind: 503,
    we.WebhookNotFound: 404,
    we.DeliveryNotFound: 404,
}


def status_of(error: de.DomainError) -> int:
    for cls in type(error).__mro__:
        if cls in STATUS:
            return STATUS[cls]
    return 422


def _field(loc: tuple[Any, ...]) -> str:
    """A readable path to the offending field: union and list wrappers of the schema are left out."""
    parts: list[str] = []
    skip_tag = False
    for part in loc:
        text = str(part)
        if text in ("body", "query", "path", "header") and not parts:
            continue
        if text.startswith("tagged-union["):
            skip_tag = True
            continue
        if text.startswith(("list[", "function-")):
            continue
        if skip_tag or text in EVENT_CLASSES:
            skip_tag = False
            continue
        parts.append(text)
    return ".".join(parts) or "body"


def _branch_errors(exc: RequestValidationError) -> list[dict[str, Any]]:
    """A body may be one event or a list of them: report only the errors of the shape that was sent."""
    errors = list(exc.errors())
    sent_list = isinstance(exc.body, list)
    chosen = [e for e in errors if any(str(p).startswith("list[") for p in e["loc"]) == sent_list]
    return chosen or errors


async def _domain_error(_: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, de.DomainError)
    headers = {"ETag": f'"{exc.current}"'} if isinstance(exc, StaleVersion) else getattr(exc, "headers", None)
    return problem(status_of(exc), exc.code, exc.message, headers=headers, **exc.details)


async def _validation_error(_: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, RequestValidationError)
    errors = [
        {"field": "type" if e["type"] == "union_tag_invalid" else _field(tuple(e["loc"])), "reason": e["msg"],
         "type": e["type"]}
        for e in _branch_errors(exc)
    ]
    first = errors[0] if errors else {"field": "body", "reason": "is invalid"}
    return problem(422, "invalid_request", f"{first['field']}: {first['reason']}", errors=errors)


async def _http_error(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, StarletteHTTPException)
    detail = exc.detail if isinstance(exc.detail, str) else TITLES.get(exc.status_code, "Error")
    code = TITLES.get(exc.status_code, "error").lower().replace(" ", "_").replace("'", "")
    headers = dict(getattr(exc, "headers", None) or {})
    if exc.status_code == 405:
        headers["Allow"] = ", ".join(allowed_methods(request))
    return problem(exc.status_code, code, detail, headers=headers or None)


def allowed_methods(request: Request) -> list[str]:
    """Every method some route of this path takes: Starlette's own 405 names only the first route's (a path with
    GET, PATCH and DELETE in three routes would say `Allow: GET`). Only a 405 pays for asking every route."""
    routes = request.app.router.routes
    methods = {method for method in ("DELETE", "GET", "PATCH", "POST", "PUT")
               if any(route.matches({**request.scope, "method": method})[0] is Match.FULL for route in routes)}
    if "GET" in methods:
        methods.add("HEAD")
    return sorted(methods)


async def _store_unavailable(_: Request, exc: Exception) -> JSONResponse:
    """The database is down, restarting, out of connections or locked (the library has already retried)."""
    log.warning("event store unavailable: %s", exc)
    return problem(503, "store_unavailable", "the event store cannot be reached just now; try again shortly",
                   headers={"Retry-After": str(RETRY_AFTER_SECONDS)})


async def _unexpected(_: Request, exc: Exception) -> JSONResponse:
    """A bug: still a problem+json body (the error is logged by the server as it propagates)."""
    return problem(500, "internal_error", "the service failed to handle this request")


def install_error_handlers(app: FastAPI) -> None:
    app.add_exception_handler(de.DomainError, _domain_error)
    app.add_exception_handler(RequestValidationError, _validation_error)
    app.add_exception_handler(StarletteHTTPException, _http_error)
    app.add_exception_handler(OperationalError, _store_unavailable)  # includes ConnectionUnavailableError
    app.add_exception_handler(InterfaceError, _store_unavailable)
    app.add_exception_handler(Exception, _unexpected)
    _document_problems(app)


def _document_problems(app: FastAPI) -> None:
    """Make the OpenAPI document say what the handlers above do: every error is problem+json (FastAPI documents
    its own 422 as application/json), a body that is not JSON gives 400, and any operation may give 503."""

    def document(schema: dict[str, Any]) -> None:
        schema.setdefault("components", {}).setdefault("schemas", {})["Problem"] = Problem.model_json_schema()
        for path in schema.get("paths", {}).values():
            for operation in path.values():
                _problem_responses(operation)

    add_openapi_hook(app, document)


def _problem_responses(operation: dict[str, Any]) -> None:
    codes = operation.setdefault("responses", {})
    if "requestBody" in operation:
        codes.setdefault("400", {"description": TITLES[400]})
    codes.setdefault("503", {"description": TITLES[503]})
    for code, response in codes.items():
        if code[0] in "45":
            response["content"] = {PROBLEM_JSON: {"schema": {"$ref": "#/components/schemas/Problem"}}}


def responses(*statuses: int) -> dict[int | str, dict[str, Any]]:
    """The errors a route may answer with, for the OpenAPI document."""
    return {
        status: {"model": Problem, "description": TITLES.get(status, "Error"), "content": {PROBLEM_JSON: {}}}
        for status in statuses
    }
