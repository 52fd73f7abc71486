"""The transition table of domain/rules.py, walked through the deal's verbs: every allowed event leads where the
table says, every other state-changing event is refused and leaves the deal as it was."""

from __future__ import annotations

import pytest

from domain import IllegalTransition, rules
from domain.rules import ALLOWED_AFTER_END, ALWAYS_ALLOWED, STATE_CHANGING, TERMINAL, TRANSITIONS, allowed_events
from domain.values import DealStatus
from tests.domain.deals import PATHS, VERB_CALLS, S, deal_in, perform, state_of

ALLOWED = [(status, event) for status, targets in TRANSITIONS.items() for event in sorted(targets)]
REFUSED = [(status, event) for status in TRANSITIONS for event in sorted(STATE_CHANGING - set(TRANSITIONS[status]))]
NON_TERMINAL = [status for status in DealStatus if status not in TERMINAL]


def _id(value: object) -> str:
    return value.value if isinstance(value, DealStatus) else str(value)


def test_every_status_has_a_path_and_every_event_type_a_verb() -> None:
    assert set(PATHS) == set(DealStatus) == set(TRANSITIONS)
    assert set(VERB_CALLS) == STATE_CHANGING | ALWAYS_ALLOWED


@pytest.mark.parametrize("status", list(DealStatus), ids=_id)
def test_the_path_reaches_the_status(status: DealStatus) -> None:
    assert deal_in(status).status is status


@pytest.mark.parametrize(("status", "event_type"), ALLOWED, ids=_id)
def test_allowed_event_leads_where_the_table_says(status: DealStatus, event_type: str) -> None:
    deal = deal_in(status)
    version = deal.version

    perform(deal, event_type)

    assert deal.status is TRANSITIONS[status][event_type]
    assert deal.version == version + 1
    assert deal.pending_events[-1].type_name == event_type


@pytest.mark.parametrize(("status", "event_type"), REFUSED, ids=_id)
def test_event_not_in_the_table_is_refused_and_changes_nothing(status: DealStatus, event_type: str) -> None:
    deal = deal_in(status)
    before = state_of(deal)

    with pytest.raises(IllegalTransition) as refused:
        perform(deal, event_type)

    assert refused.value.details == {
        "current_status": status.value,
        "attempted_event": event_type,
        "allowed_events": allowed_events(status),
    }
    assert status.value in refused.value.message and event_type in refused.value.message
    assert state_of(deal) == before


@pytest.mark.parametrize("status", NON_TERMINAL, ids=_id)
@pytest.mark.parametrize("event_type", sorted(ALWAYS_ALLOWED))
def test_events_that_change_no_state_are_taken_in_every_open_status(status: DealStatus, event_type: str) -> None:
    deal = deal_in(status)
    version = deal.version

    perform(deal, event_type)

    assert deal.status is status
    assert deal.version == version + 1


@pytest.mark.parametrize("status", sorted(TERMINAL, key=_id), ids=_id)
@pytest.mark.parametrize("event_type", sorted(ALWAYS_ALLOWED))
def test_after_the_end_only_reporting_is_taken(status: DealStatus, event_type: str) -> None:
    deal = deal_in(status)
    before = state_of(deal)

    if event_type in ALLOWED_AFTER_END:
        perform(deal, event_type)
        assert deal.status is status and deal.version == before["_version"] + 1
    else:
        with pytest.raises(IllegalTransition) as refused:
            perform(deal, event_type)
        assert refused.value.details["allowed_events"] == sorted(ALLOWED_AFTER_END)
        assert state_of(deal) == before


def test_signature_pending_until_the_last_required_signatory_signs() -> None:
    deal = deal_in(S.SIGNATURE_PENDING)

    deal.add_signature("UA", deal.last_state_change_at)
    assert deal.status is S.SIGNATURE_PENDING
    assert deal.ball.party_ids == ("US",)

    deal.add_signature("US", deal.last_state_change_at)
    assert deal.status is S.SIGNED
    assert set(deal.signatures) == {"US", "UA"}


def test_ratification_pending_until_the_last_required_ratifier_ratifies() -> None:
    deal = deal_in(S.RATIFICATION_PENDING)

    deal.ratify("UA", deal.last_state_change_at, body="Verkhovna Rada", votes_for=338)
    assert deal.status is S.RATIFICATION_PENDING
    assert deal.ball.party_ids == ("US",)

    deal.ratify("US", deal.last_state_change_at, body="Senate")
    assert deal.status is S.RATIFIED
    assert set(deal.ratifications) == {"US", "UA"}


def test_allowed_events_list_state_changes_first_then_the_rest() -> None:
    for status in NON_TERMINAL:
        assert allowed_events(status) == sorted(TRANSITIONS[status]) + sorted(ALWAYS_ALLOWED)
        assert deal_in(status).allowed_events == allowed_events(status)


def test_every_state_changing_event_leads_to_one_state_whatever_it_leaves() -> None:
    for targets in rules.TRANSITIONS.values():
        for event_type, target in targets.items():
            assert rules.DESTINATION[event_type] is target
    assert set(rules.DESTINATION) == rules.STATE_CHANGING
