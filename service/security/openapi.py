"""Additions to the OpenAPI document made after FastAPI builds it: the bearer scheme and what each operation needs."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from fastapi import FastAPI

from service.api.schemas import Problem
from service.http.problem import PROBLEM_JSON, TITLES
from service.security.scopes import required_scope

OpenAPIHook = Callable[[dict[str, Any]], None]
HTTP_METHODS = frozenset({"get", "put", "post", "delete", "options", "head", "patch", "trace"})
SCHEME = "bearerAuth"


def add_openapi_hook(app: FastAPI, hook: OpenAPIHook) -> None:
    """Run `hook` on the generated document once, before it is cached and served."""
    hooks: list[OpenAPIHook] | None = getattr(app.state, "openapi_hooks", None)
    if hooks is None:
        hooks = app.state.openapi_hooks = []
        generate = app.openapi

        def openapi() -> dict[str, Any]:
            if app.openapi_schema is None:
                schema = generate()
                for each in app.state.openapi_hooks:
                    each(schema)
            return app.openapi_schema  # type: ignore[return-value]

        app.openapi = openapi  # type: ignore[method-assign]
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


def declare_security(enforced: bool) -> OpenAPIHook:
    def hook(schema: dict[str, Any]) -> None:
        mode = "" if enforced else " This server has no keys configured and runs open (loopback only)."
        schema.setdefault("components", {}).setdefault("securitySchemes", {})[SCHEME] = {
            "type": "http",
            "scheme": "bearer",
            "description": "An API key from the operator (`deals keys create`), sent as `Authorization: Bearer <key>`."
            " Scopes: deals:read (reads under /deals, /events, /projections), deals:write (writes), webhooks:admin"
            " (everything under /webhooks)." + mode,
        }
        for path, method, op in operations(schema):
            needed = required_scope(method.upper(), path)
            if needed is None:
                op["security"] = []
                continue
            op["security"] = [{SCHEME: [needed]}]
            responses = op.setdefault("responses", {})
            responses.setdefault("401", problem_response(schema, 401))
            responses.setdefault("403", problem_response(schema, 403))
            op["description"] = (op.get("description", "") + f"\n\nNeeds an API key with the scope `{needed}`.").strip()

    return hook
