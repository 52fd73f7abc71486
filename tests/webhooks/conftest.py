"""Fixtures for webhook tests: settings with a compressed retry schedule and short timeouts, loopback allowed,
on SQLite and on PostgreSQL; an API client whose background work (outbox and sender) runs in-process."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from service.api.main import create_app
from service.settings import Settings
from tests.conftest import BACKENDS, make_settings

FAST: dict[str, Any] = {
    "webhook_allow_loopback": True,
    "webhook_timeout": 1.0,
    "webhook_lease": 3.0,
    "webhook_retry_schedule": [0, 0.05, 0.1, 0.2],
    "webhook_jitter": 0.0,
    "webhook_poll_interval": 0.05,
}


def fast(settings: Settings, **overrides: Any) -> Settings:
    return settings.model_copy(update={**FAST, **overrides})


@pytest.fixture(params=BACKENDS)
def base_settings(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Settings]:
    yield from make_settings(request.param, tmp_path)


@pytest.fixture
def wh_settings(base_settings: Settings) -> Settings:
    return fast(base_settings)


@pytest.fixture
def api(wh_settings: Settings) -> Iterator[TestClient]:
    with TestClient(create_app(wh_settings)) as client:
        yield client
