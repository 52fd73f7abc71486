"""Plugin of the reliability suites: the --long option and the figures section of the terminal summary.

Loaded from the top-level conftest (pytest_plugins) so that `pytest --long` is known however pytest is invoked.
"""

from __future__ import annotations

import pytest

from tests.reliability.figures import REPORTED


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption("--long", action="store_true", default=False,
                     help="run the long forms of the reliability suites (more clients, requests, crashes, examples)")


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    if not REPORTED:
        return
    terminalreporter.section("reliability figures")
    for figures in REPORTED:
        terminalreporter.write_line(f"{figures.test}: {figures.line()}")
