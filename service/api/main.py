"""Builds the FastAPI application: the deals application on the configured database, routes, errors."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI

from service import __version__
from service.api.docs import install_docs
from service.api.errors import install_error_handlers
from service.api.links import document_links
from service.api.rebuilt_answers import rebuilt_answer
from service.api.routes import (
    deal_diff,
    deal_events,
    deal_list,
    deals,
    feed,
    log,
    operations,
    projections,
    streams,
    timeline_page,
)
from service.api.routes import webhooks as webhook_routes
from service.application import DealsApplication
from service.bootstrap import Background
from service.http.limits import install_limits
from service.http.observability import install_observability
from service.http.openapi import add_openapi_hook
from service.idempotency.install import install_idempotency
from service.projections.read_models import ReadModels
from service.security.install import install_auth
from service.settings import Settings, get_settings
from service.webhooks.service import Webhooks

DESCRIPTION = """
Tracks deals under negotiation between parties — states, companies, people — and keeps their whole history.

Every change is an event appended to the deal's log: a proposal tendered, signing withheld by an authorizer,
a condition raised, a statement made, a counter-proposal announced. The deal's state (status, who holds the
ball, open conditions) is rebuilt from that log. Errors are RFC 9457 `application/problem+json`.
"""


def create_app(settings: Settings | None = None) -> FastAPI:
    settings = settings or get_settings()

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        app.state.deals = DealsApplication(settings=settings)
        app.state.webhooks = Webhooks(settings)
        app.state.read_models = ReadModels(settings)
        background = Background(settings)
        if settings.run_background:
            background.start()
        try:
            yield
        finally:
            background.stop()
            log.close_ledger(app)
            app.state.webhooks.close()
            app.state.read_models.close()
            app.state.deals.close()

    app = FastAPI(title="Deals", version=__version__, description=DESCRIPTION, lifespan=lifespan, docs_url=None,
                  redoc_url=None)
    app.state.settings = settings
    install_error_handlers(app)
    install_docs(app)
    add_openapi_hook(app, document_links)
    app.include_router(deal_list.router)
    app.include_router(deals.router)
    app.include_router(deal_events.router)
    app.include_router(deal_diff.router)
    app.include_router(feed.router)
    app.include_router(streams.router)
    app.include_router(webhook_routes.router)
    app.webhooks.include_router(webhook_routes.payloads)
    app.include_router(projections.router)
    app.include_router(timeline_page.router)
    app.include_router(log.router)
    app.include_router(operations.router)
    # Each middleware wraps those installed before it: idempotency innermost, then limits, auth, and request ids
    # and logs outermost.
    install_idempotency(app, settings, rebuilt_answer)
    install_limits(app, settings)
    install_auth(app, settings)
    install_observability(app, settings)
    return app
