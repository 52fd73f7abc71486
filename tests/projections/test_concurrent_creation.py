"""Processes starting together on a fresh PostgreSQL schema each create the deal list's tables: all of them open it
(the library looked for the tracking table before taking the creation lock, and the later ones failed on the
migration row the first had recorded)."""

from __future__ import annotations

import threading

import pytest

from service.projections.deal_list import close_view, open_view
from service.settings import Settings


@pytest.mark.postgres
def test_views_opened_at_once_on_a_fresh_schema_all_open(postgres_settings: Settings) -> None:
    opened: list[object] = []

    def open_one() -> None:
        try:
            opened.append(open_view(postgres_settings))
        except Exception as error:  # reported below
            opened.append(error)

    threads = [threading.Thread(target=open_one) for _ in range(3)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    failures = [o for o in opened if isinstance(o, Exception)]
    for view in opened:
        if not isinstance(view, Exception):
            close_view(view)  # type: ignore[arg-type]
    assert failures == [] and len(opened) == 3
