"""Fixtures: settings and an API client for each storage backend (SQLite file, real PostgreSQL)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from service.api.main import create_app
from service.settings import Settings
from tests.postgres import fresh_schema, require_postgres

# The reliability suites' --long option must be known before their own conftest is collected.
pytest_plugins = ["tests.reliability.options"]

BACKENDS = ["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)]


def make_settings(backend: str, tmp_path: Path) -> Iterator[Settings]:
    if backend == "sqlite":
        yield Settings(database_url=f"sqlite:///{tmp_path}/deals.db")
        return
    url = require_postgres()
    with fresh_schema(url) as schema:
        yield Settings(database_url=url, postgres_schema=schema, pool_size=2, pool_max_overflow=4)


@pytest.fixture(params=BACKENDS)
def settings(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Settings]:
    yield from make_settings(request.param, tmp_path)


@pytest.fixture
def sqlite_settings(tmp_path: Path) -> Settings:
    return Settings(database_url=f"sqlite:///{tmp_path}/deals.db")


@pytest.fixture
def postgres_settings(tmp_path: Path) -> Iterator[Settings]:
    yield from make_settings("postgres", tmp_path)


@pytest.fixture
def client(settings: Settings) -> Iterator[TestClient]:
    with TestClient(create_app(settings)) as test_client:
        yield test_client
