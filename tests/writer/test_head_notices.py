"""Two API replicas (two DealsApplications) on one PostgreSQL writing the same deal: each hears the heads the
other commits (LISTEN/NOTIFY) and catches its cached deal up with one query, instead of tripping the store's
(deal, version) key, re-reading the deal and saving again."""

from __future__ import annotations

import time
import uuid
from collections.abc import Iterator
from typing import Any

import pytest
from eventsourcing.persistence import IntegrityError

from domain import Deal
from service.application import DealsApplication
from service.settings import Settings
from service.write.deal_states import DealStates
from tests.writer.helpers import NOW, Statements, open_deals, stored_statements

pytestmark = pytest.mark.postgres


@pytest.fixture
def replicas(postgres_settings: Settings) -> Iterator[list[DealsApplication]]:
    apps = [DealsApplication(settings=postgres_settings, deal_states=DealStates(1_000)) for _ in range(2)]  # processes
    yield apps
    for app in apps:
        app.close()


class Costs:
    """Counts, per application, saves the store refused and deals read again from the store."""

    def __init__(self, app: DealsApplication) -> None:
        self.clashes = self.reads = 0
        save, get_deal = app.save, app.get_deal

        def counted_save(*objs: Any, **kwargs: Any) -> Any:
            try:
                return save(*objs, **kwargs)
            except IntegrityError:
                self.clashes += 1
                raise

        def counted_get(*args: Any, **kwargs: Any) -> Any:
            self.reads += 1
            return get_deal(*args, **kwargs)

        app.save = counted_save  # type: ignore[method-assign]
        app.get_deal = counted_get  # type: ignore[method-assign]


def heard(app: DealsApplication, deal_id: uuid.UUID, version: int) -> None:
    """Wait (5 s at most) until the app's writer heard that another one wrote `deal_id` at `version`."""
    notices = app.writer.notices
    assert notices is not None
    deadline = time.monotonic() + 5
    while notices.heads.get(deal_id, 0) < version and time.monotonic() < deadline:
        time.sleep(0.002)
    assert notices.heads.get(deal_id, 0) >= version


def listening(app: DealsApplication) -> None:
    deadline = time.monotonic() + 5
    while not (app.writer.notices and app.writer.notices.trusted) and time.monotonic() < deadline:
        time.sleep(0.005)
    assert app.writer.notices is not None and app.writer.notices.trusted


def test_two_replicas_writing_one_deal_alternately_catch_up_instead_of_clashing(
    replicas: list[DealsApplication],
) -> None:
    [deal_id] = open_deals(replicas[0], 1)
    said = Statements()
    for app in replicas:
        listening(app)
        app.record(deal_id, [said.command()])  # both writers now hold the deal
    heard(replicas[0], deal_id, 5)
    costs = [Costs(app) for app in replicas]

    names = [f"turn-{n}" for n in range(20)]
    for turn, name in enumerate(names):
        writing, other = replicas[turn % 2], replicas[(turn + 1) % 2]
        recorded = writing.record(deal_id, [said.command(name)])
        assert recorded.version == 6 + turn
        heard(other, deal_id, recorded.version)

    assert [(c.clashes, c.reads) for c in costs] == [(0, 0), (0, 0)]  # no refused save, no deal read again
    assert stored_statements(replicas[0], deal_id)[2:] == names  # versions contiguous, nothing lost or doubled
    assert all(said.runs[name] == 1 for name in names)


def test_a_notice_that_comes_too_late_still_leaves_the_write_correct(replicas: list[DealsApplication]) -> None:
    mine, theirs = replicas
    [deal_id] = open_deals(mine, 1)
    said = Statements()
    mine.record(deal_id, [said.command("cached")])
    mine.writer.notices.stop()  # type: ignore[union-attr]  # deaf from now on: it hears nothing more
    theirs.record(deal_id, [said.command("elsewhere")])

    recorded = mine.record(deal_id, [said.command("mine")])

    assert recorded.version == 6
    assert stored_statements(mine, deal_id) == ["cached", "elsewhere", "mine"]


def test_an_insert_of_many_aggregates_announces_every_head(replicas: list[DealsApplication]) -> None:
    mine, theirs = replicas
    listening(theirs)
    deals = [Deal.open(uuid.uuid4(), "Deal", NOW) for _ in range(400)]  # several notices' worth
    mine.save(*deals)
    for deal in deals:
        heard(theirs, deal.id, 1)
