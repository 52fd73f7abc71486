"""Installs authentication on the app: the key middleware and its OpenAPI declaration."""

from __future__ import annotations

import logging

from fastapi import FastAPI

from service.http.openapi import add_openapi_hook
from service.security.keys import KeyRing
from service.security.middleware import AuthMiddleware
from service.security.openapi import declare_security
from service.settings import Settings

log = logging.getLogger("deals.security")


def load_keyring(settings: Settings) -> KeyRing:
    return KeyRing.load(settings.api_keys, settings.api_keys_file)


def install_auth(app: FastAPI, settings: Settings) -> None:
    """Require a bearer key with the right scope on every route but the open ones; declare it in OpenAPI."""
    keyring = load_keyring(settings)
    app.state.keyring = keyring
    app.add_middleware(AuthMiddleware, keyring=keyring)
    add_openapi_hook(app, declare_security(keyring.enforced))
    if keyring.enforced:
        log.info("API keys required: %d configured", len(keyring))
    else:
        log.warning("no API keys configured: the API is OPEN to anyone who can reach it; serve it on loopback only")
