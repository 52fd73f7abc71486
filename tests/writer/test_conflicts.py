"""The writer with another process writing to the same deals (a second DealsApplication on the same database):
its cache goes stale, and a clash inside a batch re-runs only the clashing command, on the stored state."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from datetime import timedelta
from uuid import NAMESPACE_URL, uuid5

import pytest
from eventsourcing.domain import Aggregate
from eventsourcing.persistence import IntegrityError

from domain.commands import RejectProposal, TenderProposal
from service.application import DealsApplication
from service.settings import Settings
from service.write.deal_states import DealStates
from service.write.errors import DealExists, StaleVersion
from service.write.results import Recorded
from tests.commands import opening
from tests.writer.helpers import NOW, SaveSpy, Statements, open_deals, started, stored_statements, writer_held


class Marker(Aggregate):
    """A small aggregate saved with a deal's events, as an idempotency record would be."""

    def __init__(self, key: str) -> None:
        self.key = key

    @staticmethod
    def create_id(key: str) -> uuid.UUID:
        return uuid5(NAMESPACE_URL, f"marker/{key}")


@pytest.fixture
def apps(settings: Settings) -> Iterator[tuple[DealsApplication, DealsApplication]]:
    """This process's application, and another process's (naive, so it writes straight to the store)."""
    mine = DealsApplication(settings=settings)
    theirs = DealsApplication(settings=settings.model_copy(update={"write_mode": "naive"}),
                              deal_states=DealStates(1_000))  # another process: deals of its own
    if mine.writer.notices is not None:  # PostgreSQL: every notice of theirs comes too late (head_notices.py)
        mine.writer.notices._hear = lambda payload: None  # type: ignore[method-assign]
    yield mine, theirs
    mine.close()
    theirs.close()


def test_a_clash_in_a_batch_reruns_only_the_clashing_command(apps: tuple[DealsApplication, ...]) -> None:
    mine, theirs = apps
    gate, stale, fine = open_deals(mine, 3)
    said = Statements()
    mine.record(stale, [said.command("cached")])  # the writer now holds the deal at version 4
    theirs.record(stale, [said.command("elsewhere")])  # … and the store has moved on to version 5
    on_stale, on_fine = said.command("on-stale"), said.command("on-fine")
    spy = SaveSpy(mine)

    with writer_held(mine, gate, queued=2):
        outcomes = started([lambda: mine.record(stale, [on_stale]), lambda: mine.record(fine, [on_fine])])

    stale_result, fine_result = outcomes()
    assert (stale_result.version, fine_result.version) == (6, 4)
    assert stored_statements(mine, stale) == ["cached", "elsewhere", "on-stale"]
    assert stored_statements(mine, fine) == ["on-fine"]
    assert said.runs["on-stale"] == 2 and said.runs["on-fine"] == 1  # only the clashing command was decided again
    assert spy.calls == [1, 2, 1, 1]  # held; the batch (refused by the store); the batch without it; it alone


def test_if_match_is_judged_against_the_store_not_a_stale_cache(apps: tuple[DealsApplication, ...]) -> None:
    mine, theirs = apps
    [deal_id] = open_deals(mine, 1)
    said = Statements()
    mine.record(deal_id, [said.command()])  # cached at 4
    theirs.record(deal_id, [said.command()])  # stored at 5

    accepted = mine.record(deal_id, [said.command()], expected_version=5)
    theirs.record(deal_id, [said.command()])  # stored at 7, cached at 6
    with pytest.raises(StaleVersion) as refused:
        mine.record(deal_id, [said.command()], expected_version=6)

    assert accepted.version == 6
    assert refused.value.current == 7
    assert len(stored_statements(mine, deal_id)) == 4


def test_a_refusal_decided_on_a_stale_cache_is_checked_on_the_stored_state(apps: tuple[DealsApplication, ...]) -> None:
    mine, theirs = apps
    [deal_id] = open_deals(mine, 1)
    mine.record(deal_id, [Statements().command()])  # cached in draft, with no proposal on the table
    later = NOW + timedelta(hours=1)
    theirs.record(deal_id, [TenderProposal(proposal_id="v1", tendered_by="US", tendered_to=("UA",), terms=("terms",),
                                           occurred_at=later)])

    recorded = mine.record(deal_id, [RejectProposal(by_party="UA", occurred_at=later + timedelta(hours=1))])

    assert recorded.version == 6
    assert mine.get_deal(deal_id).status.value == "rejected"


def test_also_saved_aggregates_share_the_deals_transaction(apps: tuple[DealsApplication, ...]) -> None:
    mine, _ = apps
    gate, deal_id, other = open_deals(mine, 3)
    said = Statements()
    mine.record(deal_id, [said.command("first")], also_save=[Marker("used")])

    with writer_held(mine, gate, queued=2):
        outcomes = started([
            lambda: mine.record(deal_id, [said.command("reused")], also_save=lambda deal: [Marker("used")]),
            lambda: mine.record(other, [said.command("other")], also_save=[Marker("new")]),
        ])

    reused, fresh = outcomes()
    assert isinstance(reused, IntegrityError)  # the marker exists: the caller decides what a reused key means
    assert isinstance(fresh, Recorded) and fresh.version == 4
    assert stored_statements(mine, deal_id) == ["first"]  # the deal's event went nowhere without its marker
    assert mine.repository.get(Marker.create_id("new")).key == "new"


def test_opening_a_taken_deal_id_in_a_batch_fails_only_that_opening(apps: tuple[DealsApplication, ...]) -> None:
    mine, theirs = apps
    [gate] = open_deals(mine, 1)
    [taken] = open_deals(theirs, 1)
    new_id = uuid.uuid4()

    with writer_held(mine, gate, queued=2):
        outcomes = started([lambda: mine.open_deal(*opening(taken, "Again", NOW)),
                            lambda: mine.open_deal(*opening(new_id, "New", NOW))])

    again, opened = outcomes()
    assert isinstance(again, DealExists)
    assert isinstance(opened, Recorded) and opened.deal is not None and opened.deal.title == "New"
    assert mine.get_deal(taken).title == "Deal"


def test_after_a_clash_cached_deals_catch_up_before_deciding(apps: tuple[DealsApplication, ...]) -> None:
    mine, theirs = apps
    if mine.writer.notices is not None:  # PostgreSQL without its head notices, as SQLite always is
        mine.writer.notices.stop()
        mine.writer.notices = None
    [deal_id] = open_deals(mine, 1)
    said = Statements()
    mine.record(deal_id, [said.command("cached")])  # cached at 4
    theirs.record(deal_id, [said.command("theirs-1")])  # stored at 5
    mine.record(deal_id, [said.command("clashed")])  # clashes, re-run alone: 6; the writer now expects company
    theirs.record(deal_id, [said.command("theirs-2")])  # stored at 7, cached at 6
    spy = SaveSpy(mine)

    recorded = mine.record(deal_id, [said.command("caught-up")])

    assert recorded.version == 8
    assert spy.calls == [1] and said.runs["caught-up"] == 1  # decided once, on the caught-up deal: no clash
    assert stored_statements(mine, deal_id) == ["cached", "theirs-1", "clashed", "theirs-2", "caught-up"]
    assert (kept := mine.deal_states.latest(deal_id)) is not None and kept.version == 8
