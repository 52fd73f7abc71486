"""Fixtures of the reliability suites: storage backends for real servers, the long/quick switch, figures."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from service.settings import Settings
from tests.postgres import fresh_schema, require_postgres
from tests.reliability.figures import Figures
from tests.reliability.servers import SPAWNED

SMALL_POOL = {"pool_size": "2", "pool_max_overflow": "4"}


@dataclass
class Backend:
    """Where a server under test keeps its events: DEALS_* values for the server, Settings for reading directly."""

    name: str
    settings: Settings

    def deals_env(self) -> dict[str, str]:
        values = {"database_url": self.settings.database_url}
        if self.settings.is_postgres:
            # Small pools: the PostgreSQL server is shared with every other suite running at the same time.
            values |= {"postgres_schema": self.settings.postgres_schema, **SMALL_POOL}
        return values


BACKENDS = ["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)]


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    """Tests taking `backend` run on SQLite and PostgreSQL; a module with QUICK_ON_SQLITE_ONLY = True runs on
    PostgreSQL only with --long."""
    if "backend" in metafunc.fixturenames:
        long = metafunc.config.getoption("--long")
        sqlite_only = getattr(metafunc.module, "QUICK_ON_SQLITE_ONLY", False) and not long
        metafunc.parametrize("backend", ["sqlite"] if sqlite_only else BACKENDS, indirect=True)


@pytest.fixture
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
        request.node.user_properties.extend(result.values.items())  # the terminal summary prints them


@pytest.fixture(autouse=True)
def _forget_processes() -> Iterator[None]:
    yield
    SPAWNED.clear()


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[None]) -> Iterator[pytest.TestReport]:
    """A failing test's report ends with the last lines each of its servers logged."""
    report = yield
    if report.failed:
        for process in SPAWNED:
            report.sections.append((f"log of {' '.join(process.args[-8:])}", process.tail(60)))
    return report
