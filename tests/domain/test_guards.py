"""The rules that need the deal's facts as well as its status (domain.md §3.3), and who holds the ball.

Every refusal also checks that the deal recorded nothing: same state, same version, no pending event."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from datetime import datetime, timedelta, timezone
from typing import Any

import pytest

from domain import (
    AlreadyDone,
    ConflictOfInterest,
    Deal,
    DomainError,
    IllegalTransition,
    InvalidValue,
    NotAuthorized,
    OutOfOrder,
    RolesFixed,
    UnknownReference,
)
from domain.rules import ALLOWED_AFTER_END, STATE_CHANGING, TERMINAL
from domain.values import (
    Authority,
    ConditionKind,
    ConditionStatus,
    DealStatus,
    Party,
    PartyKind,
    Representative,
    Role,
    Speaker,
    Stance,
)
from tests.domain.deals import AP, OPENED_AT, S, deal_in, later, opened, perform, state_of


def refused(deal: Deal, error: type[DomainError], command: Callable[[Deal], Any]) -> DomainError:
    """Run a command the deal must refuse; the deal is left exactly as it was."""
    before = state_of(deal)
    with pytest.raises(error) as caught:
        command(deal)
    assert state_of(deal) == before
    return caught.value


def _id(value: object) -> str:
    return value.value if isinstance(value, DealStatus) else str(value)


# ---- transitions that skip steps ----------------------------------------------------------------------------


@pytest.mark.parametrize("status", [S.DRAFT, S.PROPOSED], ids=_id)
def test_nothing_is_signed_or_in_force_before_terms_are_accepted(status: DealStatus) -> None:
    deal = deal_in(status)
    refused(deal, IllegalTransition, lambda d: d.add_signature("UA", later(d)))
    refused(deal, IllegalTransition, lambda d: d.enter_into_force(later(d)))
    refused(deal, IllegalTransition, lambda d: d.ratify("UA", later(d)))


@pytest.mark.parametrize("status", [S.PROPOSED, S.SIGNATURE_PENDING, S.SIGNED], ids=_id)
def test_ratified_before_signed_and_submitted_is_illegal(status: DealStatus) -> None:
    error = refused(deal_in(status, requires_ratification=True), IllegalTransition,
                    lambda d: d.ratify("UA", later(d), votes_for=338))
    assert error.details["attempted_event"] == "ratified"


@pytest.mark.parametrize("status", [S.SIGNED, S.RATIFICATION_PENDING], ids=_id)
def test_no_entry_into_force_while_ratification_is_outstanding(status: DealStatus) -> None:
    deal = deal_in(status, requires_ratification=True)

    error = refused(deal, IllegalTransition, lambda d: d.enter_into_force(later(d)))

    assert error.details["current_status"] == status.value
    assert error.details["attempted_event"] == "entered_into_force"
    assert "entered_into_force" not in error.details["allowed_events"]
    assert error.details["allowed_events"] == deal.allowed_events


def test_entry_into_force_without_ratification_once_signed() -> None:
    deal = deal_in(S.SIGNED, requires_ratification=False)
    assert "entered_into_force" in deal.allowed_events
    deal.enter_into_force(later(deal))
    assert deal.status is S.IN_FORCE


def test_entry_into_force_once_ratified() -> None:
    deal = deal_in(S.RATIFIED, requires_ratification=True)
    deal.enter_into_force(later(deal))
    assert deal.status is S.IN_FORCE


# ---- answering one's own proposal --------------------------------------------------------------------------


@pytest.mark.parametrize(
    "answer",
    [
        lambda d: d.accept_proposal("US", later(d)),
        lambda d: d.withhold_signing("US", later(d)),
        lambda d: d.announce_counter_proposal("US", later(d)),
        lambda d: d.reject_proposal("US", later(d)),
    ],
    ids=["accept", "withhold signing", "announce counter", "reject"],
)
def test_the_tendering_party_cannot_answer_its_own_proposal(answer: Callable[[Deal], None]) -> None:
    deal = deal_in(S.PROPOSED)
    deal.assign_role("US", Role.AUTHORIZER, OPENED_AT)  # even an authorizer cannot withhold on its own terms

    error = refused(deal, ConflictOfInterest, answer)

    assert error.details == {"party_id": "US", "proposal_id": "v1"}


def test_a_counter_makes_the_other_side_the_one_that_cannot_answer() -> None:
    deal = deal_in(S.PROPOSED)
    deal.tender_proposal("v2", "UA", ("US",), ("minerals for security guarantees",), later(deal))
    assert deal.proposal("v2").counter_to == "v1"

    refused(deal, ConflictOfInterest, lambda d: d.accept_proposal("UA", later(d)))
    refused(deal, ConflictOfInterest, lambda d: d.announce_counter_proposal("UA", later(d)))
    deal.accept_proposal("US", later(deal))
    assert deal.status is S.SIGNATURE_PENDING and deal.accepted_proposal_id == "v2"


def test_only_a_party_the_proposal_was_tendered_to_accepts_it() -> None:
    deal = deal_in(S.PROPOSED)
    deal.join(Party("EU", "European Union", PartyKind.ORGANIZATION, (Role.OBSERVER,)), OPENED_AT)
    refused(deal, NotAuthorized, lambda d: d.accept_proposal("EU", later(d)))


def test_only_the_tendering_party_withdraws_its_proposal() -> None:
    refused(deal_in(S.PROPOSED), NotAuthorized, lambda d: d.withdraw_proposal("UA", later(d)))


def test_answering_a_proposal_that_is_not_on_the_table_is_refused() -> None:
    deal = deal_in(S.PROPOSED)
    deal.tender_proposal("v2", "US", ("UA",), ("improved terms",), later(deal))
    assert deal.proposal("v2").supersedes == "v1"

    refused(deal, UnknownReference, lambda d: d.accept_proposal("UA", later(d), proposal_id="v1"))
    refused(deal, UnknownReference, lambda d: d.accept_proposal("UA", later(d), proposal_id="v9"))


def test_only_the_announcing_party_abandons_its_counter_proposal() -> None:
    deal = deal_in(S.COUNTER_PROPOSAL_PENDING)
    refused(deal, NotAuthorized, lambda d: d.abandon_counter_proposal("US", later(d)))
    deal.abandon_counter_proposal("UA", later(deal))
    assert deal.status is S.SIGNING_WITHHELD


# ---- authorizing signature ---------------------------------------------------------------------------------


def test_withholding_signing_needs_the_authorizer_role() -> None:
    deal = deal_in(S.PROPOSED)
    deal.revoke_role("UA", Role.AUTHORIZER, OPENED_AT)
    error = refused(deal, NotAuthorized, lambda d: d.withhold_signing("UA", later(d)))
    assert error.details == {"party_id": "UA"}


def test_authorizing_signing_needs_the_authorizer_role() -> None:
    deal = deal_in(S.SIGNING_WITHHELD)
    refused(deal, NotAuthorized, lambda d: d.authorize_signing("US", later(d)))
    deal.authorize_signing("UA", later(deal))
    assert deal.status is S.SIGNATURE_PENDING and deal.accepted_proposal_id == "v1"


@pytest.mark.parametrize("status", [S.PROPOSED, S.SIGNING_WITHHELD], ids=_id)
def test_a_representative_without_authorize_authority_cannot_withhold_or_authorize(status: DealStatus) -> None:
    deal = deal_in(status)
    deal.designate_representative(
        Representative("UA", "Denys Shmyhal", "Prime Minister", (Authority.NEGOTIATE, Authority.SIGN)), OPENED_AT)

    if status is S.PROPOSED:
        refused(deal, NotAuthorized, lambda d: d.withhold_signing("UA", later(d), authorizer="Denys Shmyhal"))
    else:
        refused(deal, NotAuthorized, lambda d: d.authorize_signing("UA", later(d), authorizer="Denys Shmyhal"))


def test_a_head_of_state_needs_no_designation_to_withhold_signing() -> None:
    deal = deal_in(S.PROPOSED)
    deal.withhold_signing("UA", later(deal), authorizer="Volodymyr Zelenskyy")
    assert deal.status is S.SIGNING_WITHHELD


def test_a_representative_with_authorize_authority_withholds_signing() -> None:
    deal = deal_in(S.PROPOSED)
    deal.designate_representative(Representative("UA", "Volodymyr Zelenskyy", "President", (Authority.AUTHORIZE,)),
                                  OPENED_AT)
    deal.withhold_signing("UA", later(deal), authorizer="Volodymyr Zelenskyy")
    assert deal.status is S.SIGNING_WITHHELD


# ---- signatures and ratifications ----------------------------------------------------------------------------


def test_a_non_signatory_cannot_sign() -> None:
    deal = deal_in(S.SIGNATURE_PENDING)
    deal.join(Party("EU", "European Union", PartyKind.ORGANIZATION, (Role.GUARANTOR,)), OPENED_AT)
    refused(deal, NotAuthorized, lambda d: d.add_signature("EU", later(d)))
    refused(deal, NotAuthorized, lambda d: d.add_signature("XX", later(d)))


def test_a_signatory_signs_once() -> None:
    deal = deal_in(S.SIGNATURE_PENDING)
    deal.designate_representative(
        Representative("UA", "Yulia Svyrydenko", "First Deputy Prime Minister", (Authority.SIGN,)), OPENED_AT)
    deal.add_signature("UA", later(deal), signatory="Yulia Svyrydenko")
    error = refused(deal, AlreadyDone, lambda d: d.add_signature("UA", later(d)))
    assert error.details == {"party_id": "UA"}


def test_a_person_without_sign_authority_cannot_sign_for_a_party() -> None:
    deal = deal_in(S.SIGNATURE_PENDING)
    deal.designate_representative(Representative("US", "JD Vance", "Vice President", (Authority.NEGOTIATE,)),
                                  OPENED_AT)
    refused(deal, NotAuthorized, lambda d: d.add_signature("US", later(d), signatory="JD Vance"))


def test_withholding_during_signature_clears_the_signatures_given() -> None:
    deal = deal_in(S.SIGNATURE_PENDING)
    deal.add_signature("US", later(deal))
    deal.withhold_signing("UA", later(deal), authorizer="Volodymyr Zelenskyy")
    assert deal.status is S.SIGNING_WITHHELD and deal.signatures == {}


def test_a_ratifier_ratifies_once_and_only_ratifiers_ratify() -> None:
    deal = deal_in(S.RATIFICATION_PENDING)
    deal.join(Party("EU", "European Union", PartyKind.ORGANIZATION, (Role.OBSERVER,)), OPENED_AT)
    refused(deal, NotAuthorized, lambda d: d.ratify("EU", later(d)))
    deal.ratify("UA", later(deal), votes_for=338)
    refused(deal, AlreadyDone, lambda d: d.ratify("UA", later(d)))


@pytest.mark.parametrize(
    "change",
    [
        lambda d: d.revoke_role("UA", Role.SIGNATORY, later(d)),
        lambda d: d.assign_role("TR", Role.SIGNATORY, later(d)),
        lambda d: d.join(Party("EU", "European Union", PartyKind.ORGANIZATION, (Role.SIGNATORY,)), later(d)),
    ],
    ids=["revoke a signatory", "assign a signatory", "join as a signatory"],
)
def test_who_must_sign_is_fixed_while_signatures_are_collected(change: Callable[[Deal], None]) -> None:
    deal = deal_in(S.SIGNATURE_PENDING)
    deal.join(Party("TR", "Türkiye", PartyKind.STATE, (Role.MEDIATOR,)), OPENED_AT)
    deal.add_signature("US", later(deal))

    error = refused(deal, RolesFixed, change)

    assert error.details == {"current_status": "signature_pending", "required": ["US", "UA"]}
    deal.assign_role("TR", Role.GUARANTOR, later(deal))  # roles that do not sign may change
    deal.void_signature_process("US", later(deal))
    change(deal)  # and once the signature process is void, so may these


def test_a_role_change_cannot_complete_the_signatures() -> None:
    deal = opened()
    deal.revoke_role("US", Role.SIGNATORY, OPENED_AT)
    deal.revoke_role("UA", Role.SIGNATORY, OPENED_AT)  # now the proposer and the counterparty must sign
    perform(deal, "proposal_tendered")
    perform(deal, "proposal_accepted")
    deal.add_signature("US", later(deal))

    refused(deal, RolesFixed, lambda d: d.assign_role("US", Role.SIGNATORY, later(d)))
    assert deal.status is S.SIGNATURE_PENDING and deal.ball.party_ids == ("UA",)


def test_who_must_ratify_is_fixed_while_ratifications_are_collected() -> None:
    deal = deal_in(S.RATIFICATION_PENDING)
    deal.ratify("UA", later(deal), votes_for=338)
    refused(deal, RolesFixed, lambda d: d.revoke_role("US", Role.RATIFIER, later(d)))
    assert deal.status is S.RATIFICATION_PENDING


# ---- after the end -----------------------------------------------------------------------------------------


@pytest.mark.parametrize("status", sorted(TERMINAL, key=_id), ids=_id)
def test_nothing_changes_state_after_the_end(status: DealStatus) -> None:
    deal = deal_in(status)
    for event_type in sorted(STATE_CHANGING):
        error = refused(deal, IllegalTransition, lambda d, e=event_type: perform(d, e))
        assert error.details["allowed_events"] == sorted(ALLOWED_AFTER_END)
    assert deal.status is status


@pytest.mark.parametrize("status", sorted(TERMINAL, key=_id), ids=_id)
def test_reporting_goes_on_after_the_end(status: DealStatus) -> None:
    deal = deal_in(status)
    statement_at = deal.version + 1

    deal.record_statement("after", Speaker(title="former senior official", anonymous=True), "a colonial agreement",
                          Stance.OPPOSE, later(deal))
    deal.attach_source(statement_at, AP, later(deal))
    deal.correct_event(statement_at, {"stance": "criticize"}, "miscoded", later(deal))
    deal.retract_event(statement_at, "misattributed", later(deal))

    assert deal.status is status
    assert deal.statements["after"].sources == (AP,)
    assert deal.statements["after"].stance is Stance.CRITICIZE
    assert deal.statements["after"].retracted


# ---- time ----------------------------------------------------------------------------------------------------


def test_a_state_change_dated_before_the_last_one_is_out_of_order() -> None:
    deal = deal_in(S.PROPOSED)
    last = deal.last_state_change_at

    error = refused(deal, OutOfOrder, lambda d: d.withhold_signing("UA", last - timedelta(minutes=1)))

    assert error.details["last_state_change_at"] == last.isoformat()


def test_a_state_change_at_the_same_moment_is_in_order() -> None:
    deal = deal_in(S.PROPOSED)
    deal.withhold_signing("UA", deal.last_state_change_at)
    assert deal.status is S.SIGNING_WITHHELD


def test_order_is_judged_on_the_instant_not_the_wall_clock() -> None:
    deal = deal_in(S.SIGNATURE_PENDING)
    deal.add_signature("US", datetime.fromisoformat("2025-04-30T16:00:00-04:00"))  # Washington
    refused(deal, OutOfOrder, lambda d: d.add_signature("UA", datetime.fromisoformat("2025-04-30T22:00:00+03:00")))
    deal.add_signature("UA", datetime.fromisoformat("2025-05-01T00:00:00+03:00"))  # Kyiv, same evening
    assert deal.status is S.SIGNED


def test_facts_that_change_no_state_may_be_dated_before_the_last_state_change() -> None:
    deal = deal_in(S.SIGNING_WITHHELD)
    deal.hold_meeting(("Volodymyr Zelenskyy", "JD Vance"), deal.last_state_change_at - timedelta(days=1))
    assert deal.status is S.SIGNING_WITHHELD


@pytest.mark.parametrize(
    ("command", "field"),
    [
        (lambda d: d.withhold_signing("UA", datetime(2025, 2, 15, 12)), "occurred_at"),
        (lambda d: d.record_statement("s9", Speaker(title="x"), "q", Stance.NEUTRAL, datetime(2025, 2, 15)),
         "occurred_at"),
        (lambda d: d.tender_proposal("v2", "US", ("UA",), ("t",), later(d), respond_by=datetime(2025, 3, 1)),
         "respond_by"),
        (lambda d: d.announce_counter_proposal("UA", later(d), expected_by=datetime(2025, 3, 1)), "expected_by"),
        (lambda d: d.set_deadline(datetime(2025, 3, 1), later(d)), "deadline_at"),
    ],
    ids=["state change", "statement", "respond_by", "expected_by", "deadline"],
)
def test_naive_times_are_refused(command: Callable[[Deal], None], field: str) -> None:
    error = refused(deal_in(S.PROPOSED), InvalidValue, command)
    assert error.details["field"] == field


def test_a_deal_cannot_be_opened_at_a_naive_time() -> None:
    with pytest.raises(InvalidValue):
        Deal.open(uuid.uuid4(), "naive", datetime(2025, 2, 12, 9))


def test_an_offset_that_is_not_whole_minutes_is_refused() -> None:
    deal = deal_in(S.PROPOSED)
    local_mean_time = timezone(timedelta(hours=2, minutes=2, seconds=4))  # Kyiv's before 1880

    error = refused(deal, InvalidValue,
                    lambda d: d.withhold_signing("UA", later(d).astimezone(local_mean_time)))

    assert (error.details["field"], error.details["reason"]) == ("occurred_at", "must have an offset of whole minutes")


# ---- corrections and retractions -----------------------------------------------------------------------------


def with_statement() -> tuple[Deal, int]:
    deal = deal_in(S.SIGNING_WITHHELD)
    deal.record_statement("s1", Speaker(title="senior White House official", party_id="US"), "short-sighted",
                          Stance.CRITICIZE, later(deal), cameo_code="111")
    return deal, deal.version


def test_a_statement_is_corrected_without_editing_the_log() -> None:
    deal, version = with_statement()

    deal.correct_event(version, {"speaker": {"title": "NSC spokesman", "name": "Brian Hughes", "party_id": "US"},
                                 "stance": "oppose"}, "named in a later report", later(deal))

    statement = deal.statements["s1"]
    assert statement.speaker == Speaker(title="NSC spokesman", name="Brian Hughes", party_id="US")
    assert statement.stance is Stance.OPPOSE and statement.quote == "short-sighted"
    assert deal.corrections[str(version)]["stance"] == "oppose"
    assert deal.pending_events[version - 1].type_name == "statement_recorded"


def test_a_condition_is_corrected() -> None:
    deal = opened()
    deal.correct_event(4, {"kind": "legal_compliance", "blocking": False, "legal_basis": "Art. 13"}, "misread",
                       later(deal))
    condition = deal.conditions["c0"]
    assert (condition.kind, condition.blocking, condition.legal_basis) == (
        ConditionKind.LEGAL_COMPLIANCE, False, "Art. 13")


def test_any_event_may_have_its_date_corrected_but_nothing_else_of_a_state_change() -> None:
    deal, _ = with_statement()
    withheld_at = next(e.originator_version for e in deal.pending_events if e.type_name == "signing_withheld")

    deal.correct_event(withheld_at, {"occurred_at": "2025-02-15T13:00:00+01:00"}, "AP timeline", later(deal))
    error = refused(deal, InvalidValue, lambda d: d.correct_event(withheld_at, {"by_party": "US"}, "no", later(d)))

    assert deal.corrections[str(withheld_at)] == {"occurred_at": "2025-02-15T13:00:00+01:00"}
    assert "by_party" in error.message and "correctable: occurred_at" in error.message


@pytest.mark.parametrize(
    "fields",
    [
        {},
        {"statement_id": "s2"},
        {"stance": "angry"},
        {"quote": ""},
        {"quote": 42},
        {"speaker": {"nickname": "x"}},
        {"speaker": {"title": "official", "name": "Brian Hughes", "anonymous": True}},
        {"occurred_at": "yesterday"},
        {"occurred_at": "2025-02-15T13:00:00"},
        {"occurred_at": 17},
    ],
    ids=repr,
)
def test_a_correction_that_cannot_apply_is_refused(fields: dict[str, Any]) -> None:
    deal, version = with_statement()
    refused(deal, InvalidValue, lambda d: d.correct_event(version, fields, "why", later(d)))


@pytest.mark.parametrize("fields", [{"blocking": "false"}, {"kind": "nonsense"}, {"text": None}], ids=repr)
def test_a_condition_correction_of_the_wrong_type_is_refused(fields: dict[str, Any]) -> None:
    refused(opened(), InvalidValue, lambda d: d.correct_event(4, fields, "why", later(d)))


@pytest.mark.parametrize("version", [0, 99])
def test_corrections_and_retractions_name_an_event_of_the_deal(version: int) -> None:
    deal, _ = with_statement()
    refused(deal, InvalidValue, lambda d: d.correct_event(version, {"occurred_at": OPENED_AT}, "why", later(d)))
    refused(deal, InvalidValue, lambda d: d.retract_event(version, "why", later(d)))


def test_a_statement_is_retracted_once() -> None:
    deal, version = with_statement()

    deal.retract_event(version, "misattributed", later(deal))

    assert deal.statements["s1"].retracted
    assert deal.retracted_versions == {str(version): "statement"}
    refused(deal, AlreadyDone, lambda d: d.retract_event(version, "again", later(d)))


def test_a_retracted_condition_is_no_longer_open() -> None:
    deal = opened()
    deal.retract_event(4, "never raised", later(deal))
    assert deal.conditions["c0"].status is ConditionStatus.WITHDRAWN and deal.open_conditions == []
    refused(deal, AlreadyDone, lambda d: d.resolve_condition(ConditionStatus.SATISFIED, "c0", "US", later(d)))


def test_a_change_of_state_cannot_be_retracted() -> None:
    deal = deal_in(S.PROPOSED)
    tendered_at = deal.version
    error = refused(deal, InvalidValue, lambda d: d.retract_event(tendered_at, "wrong", later(d)))
    assert "only statements and conditions" in error.message


# ---- conditions ----------------------------------------------------------------------------------------------


def test_a_condition_is_resolved_once() -> None:
    deal = opened()
    deal.resolve_condition(ConditionStatus.WAIVED, "c0", "UA", later(deal), note="absent from the signed text")
    error = refused(deal, AlreadyDone,
                    lambda d: d.resolve_condition(ConditionStatus.SATISFIED, "c0", "UA", later(d)))
    assert "already waived" in error.message


def test_conditions_must_be_known_and_resolved_to_a_closing_status() -> None:
    deal = opened()
    refused(deal, UnknownReference, lambda d: d.resolve_condition(ConditionStatus.WAIVED, "c9", "UA", later(d)))
    refused(deal, InvalidValue, lambda d: d.resolve_condition(ConditionStatus.OPEN, "c0", "UA", later(d)))
    refused(deal, AlreadyDone,
            lambda d: d.raise_condition("c0", "UA", ConditionKind.OTHER, "again", later(d)))
    refused(deal, UnknownReference,
            lambda d: d.raise_condition("c1", "XX", ConditionKind.OTHER, "from nowhere", later(d)))


# ---- references ----------------------------------------------------------------------------------------------


def test_unknown_parties_and_proposals_are_refused() -> None:
    deal = deal_in(S.PROPOSED)
    refused(deal, UnknownReference, lambda d: d.tender_proposal("v2", "XX", ("UA",), ("t",), later(d)))
    refused(deal, UnknownReference, lambda d: d.tender_proposal("v2", "US", ("XX",), ("t",), later(d)))
    refused(deal, UnknownReference, lambda d: d.tender_proposal("v2", "US", ("UA",), ("t",), later(d),
                                                              counter_to="v9"))
    refused(deal, UnknownReference, lambda d: d.accept_proposal("XX", later(d)))
    refused(deal, UnknownReference, lambda d: d.assign_role("XX", Role.OBSERVER, later(d)))


def test_a_proposal_version_is_tendered_once_and_never_to_its_tenderer() -> None:
    deal = deal_in(S.PROPOSED)
    refused(deal, AlreadyDone, lambda d: d.tender_proposal("v1", "US", ("UA",), ("t",), later(d)))
    refused(deal, InvalidValue, lambda d: d.tender_proposal("v2", "US", ("US",), ("t",), later(d)))
    refused(deal, InvalidValue, lambda d: d.tender_proposal("v2", "US", (), ("t",), later(d)))


def test_a_party_joins_once_and_holds_a_role_once() -> None:
    deal = opened()
    refused(deal, AlreadyDone, lambda d: d.join(Party("US", "USA", PartyKind.STATE), later(d)))
    refused(deal, AlreadyDone, lambda d: d.assign_role("US", Role.PROPOSER, later(d)))
    refused(deal, UnknownReference, lambda d: d.revoke_role("US", Role.MEDIATOR, later(d)))


# ---- the ball in court ---------------------------------------------------------------------------------------

BALL: dict[DealStatus, tuple[str, ...]] = {
    S.DRAFT: ("US",),
    S.PROPOSED: ("UA",),
    S.UNDER_NEGOTIATION: ("UA",),
    S.SIGNING_WITHHELD: ("US",),
    S.COUNTER_PROPOSAL_PENDING: ("UA",),
    S.SIGNATURE_PENDING: ("US", "UA"),
    S.SIGNED: ("US", "UA"),
    S.RATIFICATION_PENDING: ("US", "UA"),
    S.RATIFIED: (),
    S.IN_FORCE: (),
    S.REJECTED: (),
    S.WITHDRAWN: (),
    S.EXPIRED: (),
    S.TERMINATED: (),
}


@pytest.mark.parametrize("status", list(DealStatus), ids=_id)
def test_who_holds_the_ball_in_each_status(status: DealStatus) -> None:
    deal = deal_in(status, requires_ratification=status in (S.SIGNED, S.RATIFICATION_PENDING, S.RATIFIED))
    assert deal.ball.party_ids == BALL[status]
    assert deal.ball.reason


def test_signed_without_ratification_waits_on_nobody() -> None:
    deal = deal_in(S.SIGNED, requires_ratification=False)
    assert deal.ball.party_ids == () and deal.ball.reason == "awaiting entry into force"


def test_the_ball_moves_with_the_event_that_moves_it_and_stays_put_otherwise() -> None:
    deal = opened()
    tendered_at = datetime.fromisoformat("2025-02-12T15:00:00+02:00")
    withheld_at = datetime.fromisoformat("2025-02-15T12:00:00+01:00")

    deal.tender_proposal("v1", "US", ("UA",), ("minerals access",), tendered_at)
    assert (deal.ball.party_ids, deal.ball.since) == (("UA",), tendered_at)
    assert deal.ball.reason == "to answer proposal v1"

    deal.hold_meeting(("Volodymyr Zelenskyy", "JD Vance"), datetime.fromisoformat("2025-02-14T11:00:00+01:00"))
    deal.record_statement("s1", Speaker(title="official"), "q", Stance.NEUTRAL, later(deal))
    assert deal.ball.since == tendered_at

    deal.withhold_signing("UA", withheld_at, authorizer="Volodymyr Zelenskyy")
    assert (deal.ball.party_ids, deal.ball.since) == (("US",), withheld_at)

    announced_at = withheld_at + timedelta(hours=8)
    deal.announce_counter_proposal("UA", announced_at)
    assert (deal.ball.party_ids, deal.ball.since) == (("UA",), announced_at)


def test_the_ball_follows_the_signatures_still_missing() -> None:
    deal = deal_in(S.SIGNATURE_PENDING)
    signed_at = later(deal)
    deal.add_signature("UA", signed_at)
    assert (deal.ball.party_ids, deal.ball.since, deal.ball.reason) == (("US",), signed_at, "to sign")
