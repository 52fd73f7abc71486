"""Figures the reliability suites report: kept per test, printed in the terminal summary whatever `-s` says, and
attached to the test report (user_properties, so they reach --junitxml too)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any


class Figures:
    def __init__(self, test: str) -> None:
        self.test = test
        self.values: dict[str, Any] = {}

    def add(self, values: Mapping[str, Any] | None = None, **more: Any) -> None:
        self.values.update(values or {}, **more)

    def line(self) -> str:
        return ", ".join(f"{k} {v}" for k, v in self.values.items())
