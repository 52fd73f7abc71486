"""Limits on what one request may send: body size (413), URL length (414). Sizes of strings, lists and pages are
capped by the request schemas (service/api/schemas.py) and route parameters; tests/hardening checks they all are."""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI

from service.http.body_limit import MAX_PATH_BYTES, MAX_QUERY_BYTES, BodyLimitMiddleware
from service.http.openapi import add_openapi_hook, operations, problem_response
from service.http.text_schema import document_text_rules
from service.settings import Settings


def install_limits(app: FastAPI, settings: Settings) -> None:
    app.add_middleware(BodyLimitMiddleware, max_body_bytes=settings.max_body_bytes)

    def document(schema: dict) -> None:
        for _, method, op in operations(schema):
            if method in ("post", "put", "patch"):
                op.setdefault("responses", {}).setdefault("413", problem_response(schema, 413))
        integer_bounds(schema)
        document_text_rules(schema)

    add_openapi_hook(app, document)


def integer_bounds(node: Any) -> None:
    """FastAPI's OpenAPI models hold bounds as floats (`minimum: 1.0`): an integer's bounds are written back as
    integers, so clients and fuzzers read `1`, not a float an integer can never equal."""
    if isinstance(node, dict):
        if node.get("type") == "integer":
            for key in ("minimum", "maximum", "exclusiveMinimum", "exclusiveMaximum"):
                if isinstance(node.get(key), float) and node[key].is_integer():
                    node[key] = int(node[key])
        for value in node.values():
            integer_bounds(value)
    elif isinstance(node, list):
        for value in node:
            integer_bounds(value)


__all__ = ["MAX_PATH_BYTES", "MAX_QUERY_BYTES", "BodyLimitMiddleware", "install_limits"]
