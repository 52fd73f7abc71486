"""What holds up the conclusion of a deal: blocking conditions, and who has authority to sign for a party."""

from __future__ import annotations

import pytest

from domain import AlreadyDone, BlockingConditionsOpen, IllegalTransition, NoSigningAuthority
from domain.catalogue import EVENT_CLASSES
from domain.values import Authority, ConditionKind, ConditionStatus, Office, Representative
from tests.domain.deals import OPENED_AT, S, deal_in, later, perform, state_of

HELD_UP = [(S.PROPOSED, "proposal_accepted"), (S.SIGNATURE_PENDING, "signature_added"),
           (S.RATIFICATION_PENDING, "ratified")]


def with_guarantees_condition(status: S, blocking: bool = True) -> object:
    deal = deal_in(status, requires_ratification=True)
    deal.raise_condition("c1", "UA", ConditionKind.SECURITY_GUARANTEE, "security guarantees tied to investment",
                         later(deal), blocking=blocking)
    return deal


@pytest.mark.parametrize(("status", "event_type"), HELD_UP, ids=[e for _, e in HELD_UP])
def test_an_open_blocking_condition_refuses_the_act_naming_it_and_who_raised_it(status: S, event_type: str) -> None:
    deal = with_guarantees_condition(status)
    before = state_of(deal)

    with pytest.raises(BlockingConditionsOpen) as refused:
        perform(deal, event_type)

    assert refused.value.code == "blocking_conditions_open"
    assert refused.value.details["attempted_event"] == event_type
    assert refused.value.details["blocking_conditions"] == [
        {"condition_id": "c1", "raised_by": "UA", "kind": "security_guarantee",
         "text": "security guarantees tied to investment"}]
    assert "c1 (raised by UA)" in refused.value.message
    assert state_of(deal) == before


@pytest.mark.parametrize(("status", "event_type"), HELD_UP, ids=[e for _, e in HELD_UP])
def test_allowed_events_and_the_ball_say_what_is_held_up(status: S, event_type: str) -> None:
    deal = with_guarantees_condition(status)

    assert event_type not in deal.allowed_events
    assert "condition_waived" in deal.allowed_events
    assert deal.ball.reason.endswith("is held up by blocking conditions c1 (raised by UA)")


@pytest.mark.parametrize(("status", "event_type"), HELD_UP, ids=[e for _, e in HELD_UP])
def test_a_non_blocking_condition_never_blocks(status: S, event_type: str) -> None:
    deal = with_guarantees_condition(status, blocking=False)

    assert event_type in deal.allowed_events
    assert "held up" not in deal.ball.reason
    perform(deal, event_type)
    assert deal.pending_events[-1].type_name == event_type


@pytest.mark.parametrize("outcome", [ConditionStatus.SATISFIED, ConditionStatus.WAIVED, ConditionStatus.WITHDRAWN])
def test_satisfying_waiving_or_withdrawing_the_condition_lets_the_deal_go_on(outcome: ConditionStatus) -> None:
    deal = with_guarantees_condition(S.PROPOSED)

    deal.resolve_condition(outcome, "c1", "UA", later(deal))

    assert "proposal_accepted" in deal.allowed_events and "held up" not in deal.ball.reason
    perform(deal, "proposal_accepted")
    assert deal.status is S.SIGNATURE_PENDING


def test_rejecting_a_blocking_condition_does_not_meet_it() -> None:
    deal = with_guarantees_condition(S.PROPOSED)

    deal.resolve_condition(ConditionStatus.REJECTED, "c1", "US", later(deal))

    with pytest.raises(BlockingConditionsOpen):
        perform(deal, "proposal_accepted")


def test_a_retracted_condition_holds_nothing_up() -> None:
    deal = with_guarantees_condition(S.SIGNATURE_PENDING)

    deal.retract_event(deal.version, "never raised", later(deal))

    perform(deal, "signature_added")
    assert deal.pending_events[-1].type_name == "signature_added"


def test_what_the_state_does_not_allow_stays_an_illegal_transition() -> None:
    deal = with_guarantees_condition(S.DRAFT)

    with pytest.raises(IllegalTransition) as refused:
        perform(deal, "signature_added")

    assert refused.value.details["allowed_events"] == deal.allowed_events


def test_a_correction_of_blocking_counts_from_the_correction_on() -> None:
    deal = with_guarantees_condition(S.PROPOSED, blocking=False)
    raised_at = deal.version

    deal.correct_event(raised_at, {"blocking": True}, "Ukraine insists on it", later(deal))
    assert "proposal_accepted" not in deal.allowed_events
    deal.correct_event(raised_at, {"blocking": False}, "Ukraine no longer insists on it", later(deal))
    perform(deal, "proposal_accepted")

    replayed = None
    for event in deal.collect_events():
        replayed = event.mutate(replayed)
    assert replayed is not None and replayed.status is S.SIGNATURE_PENDING  # history replays as it was decided


def test_a_condition_raised_without_the_flag_blocks() -> None:
    deal = deal_in(S.PROPOSED)
    deal.raise_condition("c1", "UA", ConditionKind.LEGAL_COMPLIANCE, "Constitution, Art. 13", later(deal))

    assert deal.conditions["c1"].blocking
    assert "proposal_accepted" not in deal.allowed_events


# ---- signing authority ----------------------------------------------------------------------------------------


def signing(*reps: Representative) -> object:
    deal = deal_in(S.SIGNATURE_PENDING)
    for rep in reps:
        deal.designate_representative(rep, OPENED_AT)
    return deal


BESSENT = Representative("US", "Scott Bessent", "Secretary of the Treasury", (Authority.NEGOTIATE, Authority.SIGN))
SVYRYDENKO = Representative("UA", "Yulia Svyrydenko", "First Deputy Prime Minister", (Authority.SIGN,))


def test_a_representative_with_signing_powers_signs_for_their_party() -> None:
    deal = signing(BESSENT, SVYRYDENKO)

    deal.add_signature("US", later(deal), signatory="Scott Bessent")
    deal.add_signature("UA", later(deal), signatory="Yulia Svyrydenko")

    assert deal.status is S.SIGNED


@pytest.mark.parametrize("office", list(Office), ids=lambda o: o.value)
def test_a_head_of_state_or_government_or_foreign_minister_signs_without_full_powers(office: Office) -> None:
    deal = signing(Representative("UA", "Andrii Sybiha", None, (), office))

    deal.add_signature("UA", later(deal), signatory="Andrii Sybiha")

    assert deal.signatures["UA"].signatory == "Andrii Sybiha"


@pytest.mark.parametrize(("reps", "person", "why"), [
    ((BESSENT,), "Scott Bessent", "designated for US, not for UA"),
    ((Representative("US", "Donald Trump", "President", (), Office.HEAD_OF_STATE),), "Donald Trump",
     "designated for US, not for UA"),
    ((Representative("UA", "Rustem Umerov", "Minister of Defence", (Authority.NEGOTIATE,)),), "Rustem Umerov",
     "without signing powers"),
    ((), "JD Vance", "not designated for UA"),
], ids=["designated for another party", "head of another state", "without signing powers", "not designated"])
def test_a_person_without_authority_for_the_party_cannot_sign_for_it(
    reps: tuple[Representative, ...], person: str, why: str
) -> None:
    deal = signing(*reps)
    before = state_of(deal)

    with pytest.raises(NoSigningAuthority) as refused:
        deal.add_signature("UA", later(deal), signatory=person)

    assert refused.value.code == "no_signing_authority"
    assert refused.value.details == {"person": person, "party_id": "UA"}
    assert why in refused.value.message
    assert state_of(deal) == before


def test_a_designation_stored_before_offices_existed_reads_as_holding_none() -> None:
    state = {"party_id": "UA", "name": "Volodymyr Zelenskyy", "title": "President", "authority": []}
    EVENT_CLASSES["representative_designated"].upcast_v1_v2(state)  # type: ignore[attr-defined]

    assert state["office"] is None


@pytest.mark.parametrize("outcome", [ConditionStatus.SATISFIED, ConditionStatus.WAIVED, ConditionStatus.WITHDRAWN])
def test_a_rejected_condition_can_still_be_met_waived_or_withdrawn(outcome: ConditionStatus) -> None:
    deal = with_guarantees_condition(S.PROPOSED)
    deal.resolve_condition(ConditionStatus.REJECTED, "c1", "US", later(deal))

    deal.resolve_condition(outcome, "c1", "UA", later(deal))

    assert deal.conditions["c1"].status is outcome
    perform(deal, "proposal_accepted")
    assert deal.status is S.SIGNATURE_PENDING


def test_a_rejected_condition_is_not_rejected_twice() -> None:
    deal = with_guarantees_condition(S.PROPOSED)
    deal.resolve_condition(ConditionStatus.REJECTED, "c1", "US", later(deal))

    with pytest.raises(AlreadyDone):
        deal.resolve_condition(ConditionStatus.REJECTED, "c1", "US", later(deal))
