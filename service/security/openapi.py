"""The security part of the OpenAPI document: the bearer scheme and what each operation needs."""

from __future__ import annotations

from typing import Any

from service.http.openapi import OpenAPIHook, operations, problem_response
from service.security.scopes import required_scope

SCHEME = "bearerAuth"


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
