"""Bearer-key authentication for every HTTP request, in front of the routes (ASGI middleware)."""

from __future__ import annotations

from starlette.types import ASGIApp, Receive, Scope, Send

from service.http.problem import problem
from service.security.keys import KeyRing
from service.security.scopes import required_scope

REALM = 'Bearer realm="deals"'


def bearer_token(scope: Scope) -> str | None:
    for name, value in scope.get("headers", ()):
        if name == b"authorization":
            scheme, _, token = value.decode("latin-1").partition(" ")
            if scheme.lower() == "bearer" and token.strip():
                return token.strip()
            return None
    return None


class AuthMiddleware:
    """Missing or unknown key → 401, a key without the scope the route needs → 403; both problem+json.

    The needed scope comes from the method and path (service.security.scopes), so a route added later is
    protected without doing anything. The matched key's id (a prefix of its hash) goes to `request.state.api_key_id`.
    """

    def __init__(self, app: ASGIApp, keyring: KeyRing) -> None:
        self.app = app
        self.keyring = keyring

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or not self.keyring.enforced:
            await self.app(scope, receive, send)
            return
        needed = required_scope(scope["method"], scope["path"])
        if needed is None:
            await self.app(scope, receive, send)
            return
        token = bearer_token(scope)
        key = self.keyring.lookup(token) if token else None
        if token is None:
            response = problem(401, "missing_credentials", "send an API key: Authorization: Bearer <key>",
                               headers={"WWW-Authenticate": REALM}, field="Authorization")
        elif key is None:
            response = problem(401, "invalid_credentials", "the API key is not known to this service",
                               headers={"WWW-Authenticate": f'{REALM}, error="invalid_token"'}, field="Authorization")
        elif needed not in key.scopes:
            response = problem(
                403, "insufficient_scope", f"this API key lacks the scope {needed}",
                headers={"WWW-Authenticate": f'{REALM}, error="insufficient_scope", scope="{needed}"'},
                required_scope=needed, granted_scopes=sorted(key.scopes),
            )
        else:
            scope.setdefault("state", {})["api_key_id"] = key.key_id
            await self.app(scope, receive, send)
            return
        await response(scope, receive, send)
