"""Which scope a request needs, decided from its method and path alone, so routes added later are covered too."""

from __future__ import annotations

DEALS_READ = "deals:read"
DEALS_WRITE = "deals:write"
WEBHOOKS_ADMIN = "webhooks:admin"
SCOPES = (DEALS_READ, DEALS_WRITE, WEBHOOKS_ADMIN)

# Liveness, readiness, metrics and the API's own documentation stay reachable without a key.
OPEN_PATHS = frozenset({"/healthz", "/readyz", "/metrics", "/docs", "/docs/oauth2-redirect", "/redoc", "/openapi.json"})
DOCS_ASSETS = "/docs/assets"  # the scripts and styles of /docs and /redoc (service/api/docs.py)
READ_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})


def _under(path: str, prefix: str) -> bool:
    return path == prefix or path.startswith(prefix + "/")


def required_scope(method: str, path: str) -> str | None:
    """The scope a request needs, or None for the open paths.

    Anything under /webhooks needs webhooks:admin; every other read needs deals:read and every other write
    deals:write, so a path nobody listed is never left open by accident.
    """
    if path in OPEN_PATHS or _under(path, DOCS_ASSETS):
        return None
    if _under(path, "/webhooks"):
        return WEBHOOKS_ADMIN
    return DEALS_READ if method.upper() in READ_METHODS else DEALS_WRITE
