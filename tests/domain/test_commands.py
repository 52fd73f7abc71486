"""Typed commands: the deal decides each one, by its class, exactly as the verb behind it."""

from __future__ import annotations

import copy
import dataclasses
import uuid

import pytest

from domain import Deal, IllegalTransition
from domain import commands as c
from domain.catalogue import APPENDABLE, BY_NAME, CATALOGUE, EventType
from domain.rules import allowed_events
from domain.values import DealStatus
from tests.domain.deals import OPENED_AT, deal_in, later, perform


def command_for(entry: EventType, event: object) -> c.Command:
    """The command that asks for what the event records, read off the event's own fields."""
    names = [f.name for f in dataclasses.fields(entry.command) if f.name not in entry.preset]
    return entry.command(**{name: getattr(event, name) for name in names}, **entry.preset)


def a_status_allowing(event_type: str) -> DealStatus:
    return next(s for s in DealStatus if event_type in allowed_events(s))


@pytest.mark.parametrize("entry", APPENDABLE, ids=lambda e: e.name)
def test_a_command_records_the_event_its_verb_records(entry: EventType) -> None:
    deal = deal_in(a_status_allowing(entry.name), requires_ratification=entry.name.startswith("ratif"))
    by_verb, by_command = deal, copy.deepcopy(deal)
    when = later(deal)
    perform(by_verb, entry.name, when)
    recorded = by_verb.pending_events[-1]
    assert recorded.type_name == entry.name
    by_command.handle(command_for(entry, recorded))
    decided = by_command.pending_events[-1]
    assert type(decided) is type(recorded)
    assert {k: v for k, v in vars(decided).items() if k != "timestamp"} == {
        k: v for k, v in vars(recorded).items() if k != "timestamp"
    }
    assert by_command.status is by_verb.status


def test_a_deal_is_opened_by_its_command() -> None:
    opening = BY_NAME["deal_opened"].example
    assert isinstance(opening, c.OpenDeal)
    deal = Deal.opened_by(opening)
    assert (deal.id, deal.title, deal.requires_ratification) == (opening.deal_id, opening.title, True)
    assert deal.status is DealStatus.DRAFT


def test_a_command_is_refused_by_the_rules_as_its_verb_is() -> None:
    deal = deal_in(DealStatus.DRAFT)
    with pytest.raises(IllegalTransition):
        deal.handle(c.AcceptProposal(by_party="UA", occurred_at=later(deal)))
    assert deal.version == 4 and not [e for e in deal.pending_events if e.type_name == "proposal_accepted"]


def test_a_command_the_deal_does_not_know_is_refused_by_its_class() -> None:
    @dataclasses.dataclass(frozen=True, kw_only=True)
    class Bribe(c.Command):
        amount: int

    deal = Deal.open(uuid.uuid4(), "US–Ukraine minerals agreement", OPENED_AT)
    with pytest.raises(TypeError, match="Bribe"):
        deal.handle(Bribe(amount=1, occurred_at=OPENED_AT))


def test_every_command_of_the_catalogue_is_decided_by_the_deal_and_every_example_is_its_entry_s() -> None:
    handled = {entry.command for entry in APPENDABLE}
    declared = {
        cls for cls in vars(c).values()
        if isinstance(cls, type) and issubclass(cls, c.Command) and cls.__subclasses__() == []
    }
    assert declared == handled | {c.OpenDeal}
    assert all(isinstance(entry.example, entry.command) for entry in CATALOGUE)
    assert len({entry.name for entry in CATALOGUE}) == len(CATALOGUE)


def test_commands_are_values() -> None:
    one = c.WithholdSigning(by_party="UA", authorizer="Volodymyr Zelenskyy", occurred_at=OPENED_AT)
    assert one == c.WithholdSigning(by_party="UA", authorizer="Volodymyr Zelenskyy", occurred_at=OPENED_AT)
    with pytest.raises(dataclasses.FrozenInstanceError):
        one.by_party = "US"  # type: ignore[misc]
