"""The seed story (domain.md §4, service/entrypoints/demo.py) told through the deal's verbs, and what happened after
it."""

from __future__ import annotations

import uuid
from datetime import datetime

from domain import Deal
from domain.values import (
    Authority,
    ConditionKind,
    ConditionStatus,
    DealStatus,
    Party,
    PartyKind,
    Representative,
    Role,
    Source,
    Speaker,
    Stance,
)

AP = Source("https://apnews.com/article/zelenskyy-vance-munich-minerals-ukraine-security-guarantees",
            "Associated Press", datetime.fromisoformat("2025-02-16T10:00:00+01:00"))
KYIV_INDEPENDENT = Source("https://kyivindependent.com/the-full-text-of-the-us-ukraine-minerals-agreement")
PRAVDA = Source("https://www.pravda.com.ua/eng/news/2025/05/8/7511255/", "Ukrainska Pravda")


def at(text: str) -> datetime:
    return datetime.fromisoformat(text)


def munich_story() -> Deal:
    """What AP reported from Munich on 16 February 2025."""
    deal = Deal.open(uuid.uuid4(), "US–Ukraine minerals agreement", at("2025-02-12T09:00:00+02:00"),
                     summary="US access to Ukraine's rare earth minerals", requires_ratification=True,
                     tags=("critical minerals", "security guarantees"), sources=(AP,))
    deal.join(Party("US", "United States", PartyKind.STATE, (Role.PROPOSER, Role.SIGNATORY)),
              at("2025-02-12T09:00:00+02:00"))
    deal.join(Party("UA", "Ukraine", PartyKind.STATE,
                    (Role.COUNTERPARTY, Role.AUTHORIZER, Role.SIGNATORY, Role.RATIFIER)),
              at("2025-02-12T09:00:00+02:00"))
    deal.designate_representative(Representative("UA", "Volodymyr Zelenskyy", "President of Ukraine",
                                                 (Authority.NEGOTIATE, Authority.SIGN, Authority.AUTHORIZE)),
                                  at("2025-02-12T09:00:00+02:00"))
    deal.designate_representative(Representative("US", "Scott Bessent", "Secretary of the Treasury",
                                                 (Authority.NEGOTIATE, Authority.SIGN)),
                                  at("2025-02-12T09:00:00+02:00"))
    deal.tender_proposal("v1", "US", ("UA",),
                         ("US access to Ukraine's rare earth minerals as compensation for past US support",
                          "minerals as payment for future assistance",
                          "no concrete security guarantees for Ukraine"),
                         at("2025-02-12T15:00:00+02:00"), delivered_by="Scott Bessent", venue="Kyiv", sources=(AP,))
    deal.hold_meeting(("Volodymyr Zelenskyy", "JD Vance"), at("2025-02-14T11:00:00+01:00"),
                      venue="Munich Security Conference", topic="the minerals proposal", proposal_id="v1")
    deal.withhold_signing("UA", at("2025-02-15T12:00:00+01:00"), authorizer="Volodymyr Zelenskyy",
                          signatories_affected=("Ukrainian ministers",),
                          reason_codes=("no_security_guarantees", "favors_us_interests"),
                          reason_text="I didn't let the ministers sign a relevant agreement because in my view "
                          "it is not ready to protect us, our interest.", proposal_id="v1", sources=(AP,))
    deal.raise_condition("c1", "UA", ConditionKind.SECURITY_GUARANTEE,
                         "For me, it is crucial to connect some kind of security guarantees with investment.",
                         at("2025-02-15T12:00:00+01:00"), proposal_id="v1", sources=(AP,))
    deal.record_statement("s1", Speaker(title="senior White House official", party_id="US"), "short-sighted",
                          Stance.CRITICIZE, at("2025-02-15T18:00:00+01:00"), about_version=8, cameo_code="111",
                          sources=(AP,))
    deal.record_statement("s2", Speaker(title="former senior official", anonymous=True), "a colonial agreement",
                          Stance.OPPOSE, at("2025-02-15T18:00:00+01:00"), about_version=6, sources=(AP,))
    deal.raise_condition("c2", "UA", ConditionKind.LEGAL_COMPLIANCE,
                         "Subsoil belongs to Ukrainians under the Constitution.", at("2025-02-15T19:00:00+01:00"),
                         legal_basis="Constitution of Ukraine, Article 13", proposal_id="v1", sources=(AP,))
    deal.announce_counter_proposal("UA", at("2025-02-15T20:00:00+01:00"), counter_to="v1",
                                   summary="a counter-proposal will be presented to the US soon", sources=(AP,))
    return deal


def test_the_munich_story_ends_with_a_counter_proposal_pending_and_the_ball_with_ukraine() -> None:
    deal = munich_story()

    assert deal.version == 13
    assert deal.status is DealStatus.COUNTER_PROPOSAL_PENDING
    assert deal.ball.party_ids == ("UA",)
    assert deal.ball.since == at("2025-02-15T20:00:00+01:00")
    assert deal.ball.reason == "to present the announced counter-proposal"
    assert [c.condition_id for c in deal.open_conditions] == ["c1", "c2"]
    assert all(c.blocking for c in deal.open_conditions)


def test_the_munich_story_keeps_who_said_what_and_where_it_was_reported() -> None:
    deal = munich_story()

    assert deal.pending_events[7].type_name == "signing_withheld"  # version 8, what s1 is about
    assert deal.statements["s1"].about_version == 8 and deal.statements["s1"].stance is Stance.CRITICIZE
    assert deal.statements["s2"].speaker == Speaker(title="former senior official", anonymous=True)
    assert deal.statements["s2"].sources == (AP,)
    assert deal.conditions["c2"].legal_basis == "Constitution of Ukraine, Article 13"
    assert deal.proposal("v1").delivered_by == "Scott Bessent" and deal.proposal("v1").venue == "Kyiv"
    assert deal.meetings["7"].participants == ("Volodymyr Zelenskyy", "JD Vance")
    assert deal.tags == ("critical minerals", "security guarantees")


def test_before_munich_the_ball_was_with_ukraine_to_answer_v1() -> None:
    deal = munich_story()
    events = deal.collect_events()[:7]  # up to the meeting in Munich

    replayed = None
    for event in events:
        replayed = event.mutate(replayed)

    assert replayed is not None
    assert replayed.status is DealStatus.PROPOSED
    assert replayed.ball.party_ids == ("UA",) and replayed.ball.since == at("2025-02-12T15:00:00+02:00")


def beyond_the_article() -> Deal:
    """What followed (sourced in domain.md §4): an improved draft, signature in Washington, ratification in Kyiv."""
    deal = munich_story()
    deal.tender_proposal("v2", "US", ("UA",), ("a joint reconstruction investment fund",
                                               "no explicit US security guarantees"),
                         at("2025-02-20T12:00:00+02:00"), summary="the improved draft")
    # Both of Ukraine's conditions block: they are closed before the final text is accepted.
    close_the_conditions(deal)
    deal.accept_proposal("UA", at("2025-04-30T12:00:00+03:00"))
    deal.designate_representative(Representative("UA", "Yulia Svyrydenko", "First Deputy Prime Minister",
                                                 (Authority.SIGN,)), at("2025-04-30T12:00:00+03:00"))
    # One signing ceremony in Washington: 30 April there, already 1 May in Kyiv.
    deal.add_signature("US", at("2025-04-30T18:30:00-04:00"), signatory="Scott Bessent", place="Washington",
                       sources=(KYIV_INDEPENDENT,))
    deal.add_signature("UA", at("2025-05-01T01:30:00+03:00"), signatory="Yulia Svyrydenko", place="Washington",
                       sources=(KYIV_INDEPENDENT,))
    deal.submit_for_ratification("UA", at("2025-05-02T10:00:00+03:00"), body="Verkhovna Rada")
    deal.ratify("UA", at("2025-05-08T12:00:00+03:00"), body="Verkhovna Rada", votes_for=338, sources=(PRAVDA,))
    return deal


def close_the_conditions(deal: Deal) -> None:
    """The signed text leaves the subsoil Ukraine's (c2 met) and gives no security guarantees (c1 waived)."""
    deal.resolve_condition(ConditionStatus.SATISFIED, "c2", "UA", at("2025-04-30T10:00:00+03:00"),
                           note="the agreement leaves the subsoil in Ukraine's ownership", sources=(KYIV_INDEPENDENT,))
    deal.resolve_condition(ConditionStatus.WAIVED, "c1", "UA", at("2025-04-30T11:00:00+03:00"),
                           note="security guarantees are absent from the signed text", sources=(KYIV_INDEPENDENT,))


def test_beyond_the_article_the_improved_draft_is_signed_and_ratified() -> None:
    deal = munich_story()
    statuses = []
    for step in (
        lambda d: d.tender_proposal("v2", "US", ("UA",), ("a joint investment fund",), at("2025-02-20T12:00:00+02:00")),
        close_the_conditions,
        lambda d: d.accept_proposal("UA", at("2025-04-30T12:00:00+03:00")),
        lambda d: d.designate_representative(Representative("UA", "Yulia Svyrydenko", "First Deputy Prime Minister",
                                                            (Authority.SIGN,)), at("2025-04-30T12:00:00+03:00")),
        lambda d: d.add_signature("US", at("2025-04-30T18:30:00-04:00"), signatory="Scott Bessent"),
        lambda d: d.add_signature("UA", at("2025-05-01T01:30:00+03:00"), signatory="Yulia Svyrydenko"),
        lambda d: d.submit_for_ratification("UA", at("2025-05-02T10:00:00+03:00"), body="Verkhovna Rada"),
        lambda d: d.ratify("UA", at("2025-05-08T12:00:00+03:00"), body="Verkhovna Rada", votes_for=338),
    ):
        step(deal)
        statuses.append((deal.status.value, deal.ball.party_ids))

    assert statuses == [
        ("proposed", ("UA",)),
        ("proposed", ("UA",)),
        ("signature_pending", ("US", "UA")),
        ("signature_pending", ("US", "UA")),
        ("signature_pending", ("UA",)),
        ("signed", ("UA",)),
        ("ratification_pending", ("UA",)),
        ("ratified", ()),
    ]


def test_beyond_the_article_ends_ratified_with_the_security_condition_waived() -> None:
    deal = beyond_the_article()

    assert deal.status is DealStatus.RATIFIED
    assert deal.proposal("v2").supersedes == "v1" and deal.accepted_proposal_id == "v2"
    assert deal.ratifications["UA"].votes_for == 338 and deal.ratifications["UA"].body == "Verkhovna Rada"
    assert deal.conditions["c1"].status is ConditionStatus.WAIVED
    assert deal.conditions["c2"].status is ConditionStatus.SATISFIED
    assert deal.open_conditions == [] and deal.blocking_conditions == []
    assert deal.ball.party_ids == () and deal.ball.reason == "awaiting entry into force"


def test_signed_on_30_april_in_washington_and_1_may_in_kyiv() -> None:
    deal = beyond_the_article()
    us, ua = deal.signatures["US"], deal.signatures["UA"]

    assert us.signed_at == ua.signed_at  # one moment ...
    assert (us.signed_at.date().isoformat(), ua.signed_at.date().isoformat()) == ("2025-04-30", "2025-05-01")
    assert (us.signatory, ua.signatory) == ("Scott Bessent", "Yulia Svyrydenko")
    assert us.proposal_id == ua.proposal_id == "v2"
