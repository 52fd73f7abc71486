"""Plugin of the reliability suites: the --long option and the figures section of the terminal summary.

Loaded from the top-level conftest (pytest_plugins) so that `pytest --long` is known however pytest is invoked.
"""

from __future__ import annotations

import pytest


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption("--long", action="store_true", default=False,
                     help="run the long forms of the reliability suites (more clients, requests, crashes, examples)")


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    """From the test reports' user_properties, so the figures of tests run in xdist workers are printed too."""
    lines: dict[str, str] = {}
    for reports in terminalreporter.stats.values():
        for report in reports:
            properties = getattr(report, "user_properties", None)
            if properties and getattr(report, "when", None) == "teardown":
                test = report.nodeid.split("::", 1)[-1]
                lines[test] = ", ".join(f"{k} {v}" for k, v in properties)
    if not lines:
        return
    terminalreporter.section("reliability figures")
    for test, line in sorted(lines.items()):
        terminalreporter.write_line(f"{test}: {line}")
