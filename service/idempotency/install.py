"""Installs idempotent POSTs: the middleware (inside limits and auth) and the header in the OpenAPI document."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from fastapi import FastAPI

from service.http.openapi import add_openapi_hook, operations, problem_response
from service.idempotency.middleware import IdempotencyMiddleware, Rebuild
from service.settings import Settings

HEADER = {
    "name": "Idempotency-Key",
    "in": "header",
    "required": False,
    "schema": {"type": "string", "minLength": 1, "maxLength": 255, "pattern": "^[\\x21-\\x7e]+$"},
    "description": "Makes a retry safe: a POST repeated with the same key and body within 24 hours gets the first "
    "answer again (header `Idempotent-Replayed: true`) and stores nothing twice; the same key with a different "
    "body is a 422. Only successful answers are kept.",
}


def install_idempotency(app: FastAPI, settings: Settings, rebuild: Rebuild) -> None:
    app.add_middleware(IdempotencyMiddleware, ttl=timedelta(hours=settings.idempotency_ttl_hours), rebuild=rebuild,
                       exit_after_commit=settings.test_fault == "exit_after_commit")
    add_openapi_hook(app, document)


def document(schema: dict[str, Any]) -> None:
    for _, method, op in operations(schema):
        if method != "post":
            continue
        parameters = op.setdefault("parameters", [])
        if not any(p.get("name", "").lower() == "idempotency-key" for p in parameters):
            parameters.append(HEADER)
        responses = op.setdefault("responses", {})
        responses.setdefault("409", problem_response(schema, 409))
        responses.setdefault("422", problem_response(schema, 422))
