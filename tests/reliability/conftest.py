"""Fixtures of the reliability suites: storage backends for real servers, the long/quick switch, figures."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from service.settings import Settings
from tests.postgres import fresh_schema, require_postgres
from tests.reliability.figures import REPORTED, Figures


@dataclass
class Backend:
    """Where a server under test keeps its events: DEALS_* values for the server, Settings for reading directly."""

    name: str
    settings: Settings

    def deals_env(self) -> dict[str, str]:
        values = {"database_url": self.settings.database_url}
        if self.settings.is_postgres:
            values["postgres_schema"] = self.settings.postgres_schema
        return values


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def backend(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Backend]:
    if request.param == "sqlite":
        yield Backend("sqlite", Settings(database_url=f"sqlite:///{tmp_path}/deals.db"))
        return
    url = require_postgres()
    with fresh_schema(url) as schema:
        yield Backend("postgres", Settings(database_url=url, postgres_schema=schema, pool_size=1,
                                           pool_max_overflow=2))


@pytest.fixture
def long(request: pytest.FixtureRequest) -> bool:
    return bool(request.config.getoption("--long"))


@pytest.fixture
def figures(request: pytest.FixtureRequest) -> Iterator[Figures]:
    """Record the figures of a run; they are printed in the terminal summary even when the test fails."""
    result = Figures(request.node.nodeid.split("::", 1)[-1])
    yield result
    if result.values:
        request.node.user_properties.extend(result.values.items())
        REPORTED.append(result)
