"""Additions to the OpenAPI document made after FastAPI builds it: the hooks, and the helpers they share."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from fastapi import FastAPI

from service.http.problem import PROBLEM_JSON, TITLES
from service.wire.schemas import Problem

OpenAPIHook = Callable[[dict[str, Any]], None]
HTTP_METHODS = frozenset({"get", "put", "post", "delete", "options", "head", "patch", "trace"})


def add_openapi_hook(app: FastAPI, hook: OpenAPIHook) -> None:
    """Run `hook` on the generated document once, before it is cached and served."""
    hooks: list[OpenAPIHook] | None = getattr(app.state, "openapi_hooks", None)
    if hooks is None:
        hooks = app.state.openapi_hooks = []
        generate = app.openapi

        def openapi() -> dict[str, Any]:
            if app.openapi_schema is None:
                schema = generate()  # which caches it in app.openapi_schema
                for each in app.state.openapi_hooks:
                    each(schema)
                return schema
            return app.openapi_schema

        app.openapi = openapi  # type: ignore[method-assign]  # FastAPI's documented way to customise openapi()
    hooks.append(hook)


def operations(schema: dict[str, Any]) -> list[tuple[str, str, dict[str, Any]]]:
    return [(path, method, op) for path, item in schema.get("paths", {}).items()
            for method, op in item.items() if method in HTTP_METHODS]


def problem_response(schema: dict[str, Any], status: int) -> dict[str, Any]:
    """A response entry of problem+json, with the Problem schema registered in the components."""
    components = schema.setdefault("components", {}).setdefault("schemas", {})
    components.setdefault("Problem", Problem.model_json_schema(ref_template="#/components/schemas/{model}"))
    return {"description": TITLES.get(status, "Error"),
            "content": {PROBLEM_JSON: {"schema": {"$ref": "#/components/schemas/Problem"}}}}
