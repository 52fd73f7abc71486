from __future__ import annotations

from collections.abc import Iterator

import pytest

from domain import Deal
from tests.writer.helpers import DECIDED, GATES, watching


@pytest.fixture(autouse=True)
def watched_decisions(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """Count the statements the deals decide, and hold the writer on a gate (helpers.writer_held)."""
    DECIDED.clear()
    monkeypatch.setattr(Deal, "handle", watching(Deal.handle))
    yield
    GATES.clear()
