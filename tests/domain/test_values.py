"""Value objects validate what they are given, and every value type and enum is stored and read back unchanged."""

from __future__ import annotations

from dataclasses import fields
from datetime import datetime
from enum import Enum
from typing import Any

import pytest
from eventsourcing.persistence import DatetimeAsISO, DecimalAsStr, JSONTranscoder, UUIDAsHex

from domain import InvalidValue
from domain.values import (
    ENUM_TYPES,
    VALUE_TYPES,
    Authority,
    Ball,
    Condition,
    ConditionKind,
    ConditionStatus,
    DealStatus,
    Meeting,
    Party,
    PartyKind,
    Proposal,
    Ratification,
    Representative,
    Role,
    Signature,
    Source,
    Speaker,
    Stance,
    Statement,
)
from service.storage.transcodings import register_domain_transcodings

WASHINGTON = datetime.fromisoformat("2025-04-30T18:30:00-04:00")
KYIV = datetime.fromisoformat("2025-05-01T01:30:00+03:00")
AP = Source("https://apnews.com/article/minerals", "Associated Press", datetime.fromisoformat("2025-02-16T10:00+01:00"))
SPEAKER = Speaker(title="former senior official", party_id="US", anonymous=True)

EXAMPLES: dict[type, Any] = {
    Source: AP,
    Party: Party("UA", "Ukraine", PartyKind.STATE, (Role.COUNTERPARTY, Role.AUTHORIZER, Role.RATIFIER)),
    Representative: Representative("UA", "Volodymyr Zelenskyy", "President", (Authority.SIGN, Authority.AUTHORIZE)),
    Proposal: Proposal("v2", "US", ("UA", "EU"), ("fund", "no guarantees"), KYIV, "improved draft", "Scott Bessent",
                       "Kyiv", "v9", "v1", WASHINGTON, "ab" * 32),
    Condition: Condition("c2", "UA", ConditionKind.LEGAL_COMPLIANCE, "Subsoil belongs to Ukrainians", True, KYIV,
                         ConditionStatus.WAIVED, "Constitution, Art. 13", "v1", WASHINGTON, "UA", "absent"),
    Speaker: SPEAKER,
    Statement: Statement("s2", SPEAKER, "a colonial agreement", Stance.OPPOSE, KYIV, "could not endorse", 6, "111",
                         (AP, Source("https://example.org/report")), True),
    Meeting: Meeting(("Volodymyr Zelenskyy", "JD Vance"), KYIV, "Munich", "minerals", "v1"),
    Signature: Signature("US", WASHINGTON, "Scott Bessent", "Washington", "v2"),
    Ratification: Ratification("UA", "Verkhovna Rada", KYIV, 338, 0, 2),
    Ball: Ball(("US", "UA"), KYIV, "to sign"),
}


@pytest.fixture(scope="module")
def transcoder() -> JSONTranscoder:
    transcoder = JSONTranscoder()
    for transcoding in (UUIDAsHex(), DecimalAsStr(), DatetimeAsISO()):
        transcoder.register(transcoding)
    register_domain_transcodings(transcoder)
    return transcoder


def round_trip(transcoder: JSONTranscoder, value: Any) -> Any:
    return transcoder.decode(transcoder.encode(value))


def test_every_value_type_has_an_example() -> None:
    assert set(EXAMPLES) == set(VALUE_TYPES)


@pytest.mark.parametrize("value_type", VALUE_TYPES, ids=lambda t: t.__name__)
def test_value_round_trips_to_an_equal_value_of_the_same_types(transcoder: JSONTranscoder, value_type: type) -> None:
    value = EXAMPLES[value_type]

    back = round_trip(transcoder, value)

    assert back == value and type(back) is value_type
    for field in fields(value):
        assert type(getattr(back, field.name)) is type(getattr(value, field.name)), field.name


def test_times_keep_their_offset(transcoder: JSONTranscoder) -> None:
    back = round_trip(transcoder, EXAMPLES[Signature])
    assert back.signed_at.utcoffset() == WASHINGTON.utcoffset()
    assert back.signed_at.date().isoformat() == "2025-04-30"


def test_values_nested_in_events_and_state_round_trip(transcoder: JSONTranscoder) -> None:
    state = {"statements": {"s2": EXAMPLES[Statement]}, "ball": EXAMPLES[Ball], "roles": (Role.SIGNATORY,)}
    back = round_trip(transcoder, state)
    assert back["statements"] == state["statements"] and back["ball"] == state["ball"]
    assert back["statements"]["s2"].sources[1] == Source("https://example.org/report")


@pytest.mark.parametrize("enum_type", ENUM_TYPES, ids=lambda t: t.__name__)
def test_every_member_of_every_enum_round_trips(transcoder: JSONTranscoder, enum_type: type[Enum]) -> None:
    for member in enum_type:
        assert round_trip(transcoder, member) is member
    assert round_trip(transcoder, list(enum_type)) == list(enum_type)


def test_enums_are_stored_by_their_value(transcoder: JSONTranscoder) -> None:
    assert b'"_data_":"counter_proposal_pending"' in transcoder.encode(DealStatus.COUNTER_PROPOSAL_PENDING)


# ---- validation ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("build", "field"),
    [
        (lambda: Speaker(title="former senior official", name="Someone", anonymous=True), "speaker.name"),
        (lambda: Speaker(), "speaker"),
        (lambda: Speaker(party_id="US"), "speaker"),
        (lambda: Source(""), "source.url"),
        (lambda: Source("   "), "source.url"),
        (lambda: Source("https://apnews.com", published_at=datetime(2025, 2, 16)), "source.published_at"),
        (lambda: Party("", "Ukraine", PartyKind.STATE), "party_id"),
        (lambda: Party("UA", " ", PartyKind.STATE), "name"),
        (lambda: Representative("UA", ""), "name"),
    ],
    ids=[
        "anonymous speaker with a name",
        "speaker without name or title",
        "speaker with only a party",
        "source without url",
        "source with a blank url",
        "source published at a naive time",
        "party without id",
        "party with a blank name",
        "representative without name",
    ],
)
def test_malformed_values_are_refused(build: Any, field: str) -> None:
    with pytest.raises(InvalidValue) as refused:
        build()
    assert refused.value.field == field
    assert refused.value.details == {"field": field, "reason": refused.value.reason}


def test_well_formed_values_are_taken() -> None:
    assert Speaker(title="senior White House official").name is None
    assert Speaker(name="Brian Hughes").title is None
    assert Speaker(title="former senior official", anonymous=True).anonymous


def test_what_values_answer() -> None:
    party = EXAMPLES[Party]
    assert party.holds(Role.AUTHORIZER) and not party.holds(Role.PROPOSER)
    assert EXAMPLES[Representative].may(Authority.SIGN) and not EXAMPLES[Representative].may(Authority.NEGOTIATE)
    assert not EXAMPLES[Condition].is_open
    assert Condition("c1", "UA", ConditionKind.SECURITY_GUARANTEE, "guarantees", True, KYIV).is_open


def test_values_are_immutable() -> None:
    with pytest.raises(AttributeError):
        EXAMPLES[Party].name = "Ukraine (renamed)"  # type: ignore[misc]
