"""The write routes alone, with none of the service's middleware (auth, limits, idempotency, request logs and
metrics): `bench/writes.py` serves it next to the real app to show what the write path costs by itself."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI

from service.api.errors import install_error_handlers
from service.api.routes import deal_events, deals
from service.application import DealsApplication
from service.settings import get_settings


def create_app() -> FastAPI:
    settings = get_settings()

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        app.state.deals = DealsApplication(settings=settings)
        try:
            yield
        finally:
            app.state.deals.close()

    app = FastAPI(title="Deals (write routes only)", lifespan=lifespan)
    app.state.settings = settings
    install_error_handlers(app)
    app.include_router(deals.router)
    app.include_router(deal_events.router)
    return app
