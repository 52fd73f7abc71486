"""Value objects of a negotiation: who takes part, what is on the table, what was said.

All are immutable. Sequences are tuples so that two equal values compare equal however they were built.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from enum import Enum

from domain.errors import InvalidValue


class DealStatus(Enum):
    DRAFT = "draft"
    PROPOSED = "proposed"
    UNDER_NEGOTIATION = "under_negotiation"
    SIGNING_WITHHELD = "signing_withheld"
    COUNTER_PROPOSAL_PENDING = "counter_proposal_pending"
    SIGNATURE_PENDING = "signature_pending"
    SIGNED = "signed"
    RATIFICATION_PENDING = "ratification_pending"
    RATIFIED = "ratified"
    IN_FORCE = "in_force"
    REJECTED = "rejected"
    WITHDRAWN = "withdrawn"
    EXPIRED = "expired"
    TERMINATED = "terminated"


class Role(Enum):
    PROPOSER = "proposer"
    COUNTERPARTY = "counterparty"
    MEDIATOR = "mediator"
    SIGNATORY = "signatory"
    AUTHORIZER = "authorizer"
    RATIFIER = "ratifier"
    GUARANTOR = "guarantor"
    OBSERVER = "observer"


class PartyKind(Enum):
    STATE = "state"
    GOVERNMENT_BODY = "government_body"
    ORGANIZATION = "organization"
    COMPANY = "company"
    PERSON = "person"


class Authority(Enum):
    NEGOTIATE = "negotiate"
    SIGN = "sign"
    AUTHORIZE = "authorize"


class Office(Enum):
    """The offices whose holders represent their state without full powers (Vienna Convention, art. 7(2)(a))."""

    HEAD_OF_STATE = "head_of_state"
    HEAD_OF_GOVERNMENT = "head_of_government"
    FOREIGN_MINISTER = "foreign_minister"


class ConditionKind(Enum):
    SECURITY_GUARANTEE = "security_guarantee"
    LEGAL_COMPLIANCE = "legal_compliance"
    FINANCIAL = "financial"
    OTHER = "other"


class ConditionStatus(Enum):
    OPEN = "open"
    SATISFIED = "satisfied"
    WAIVED = "waived"
    WITHDRAWN = "withdrawn"
    REJECTED = "rejected"


class Stance(Enum):
    SUPPORT = "support"
    OPPOSE = "oppose"
    CRITICIZE = "criticize"
    NEUTRAL = "neutral"


def _require(condition: bool, field: str, reason: str) -> None:
    if not condition:
        raise InvalidValue(field, reason)


def _require_text(value: str, field: str) -> None:
    _require(isinstance(value, str) and value.strip() != "", field, "must not be empty")


_MINUTE, _NO_TIME = timedelta(minutes=1), timedelta(0)


def require_aware(value: datetime | None, field: str) -> None:
    """Times in the world carry their offset: 30 April in Washington is 1 May in Kyiv."""
    if value is not None:
        offset = value.utcoffset() if value.tzinfo is not None else None
        _require(offset is not None, field, "must include a timezone offset")
        # As ISO 8601 and RFC 3339 write offsets (a zone's local mean time, e.g. +02:02:04, has no such form).
        _require(offset % _MINUTE == _NO_TIME, field, "must have an offset of whole minutes")  # type: ignore[operator]  # offset is not None here: checked on the line above
        # 9999-12-31T23:59-23:00 is no time in UTC: readers that normalise it (views, webhooks) would fail on it.
        _require(_fits_utc(value), field, "must fall within the years 1 to 9999 in UTC")


def _fits_utc(value: datetime) -> bool:
    try:
        value.astimezone(UTC)
    except OverflowError:
        return False
    return True


@dataclass(frozen=True)
class Source:
    """Where a fact was reported."""

    url: str
    publisher: str | None = None
    published_at: datetime | None = None

    def __post_init__(self) -> None:
        _require_text(self.url, "source.url")
        require_aware(self.published_at, "source.published_at")


@dataclass(frozen=True)
class Party:
    """A principal in the deal: a state, a government body, a company or a person."""

    party_id: str
    name: str
    kind: PartyKind
    roles: tuple[Role, ...] = ()

    def __post_init__(self) -> None:
        _require_text(self.party_id, "party_id")
        _require_text(self.name, "name")

    def holds(self, role: Role) -> bool:
        return role in self.roles


@dataclass(frozen=True)
class Representative:
    """A person acting for a party, with the authority they were given (their full powers) and, for a head of
    state, head of government or foreign minister, the office they hold in it."""

    party_id: str
    name: str
    title: str | None = None
    authority: tuple[Authority, ...] = ()
    office: Office | None = None

    def __post_init__(self) -> None:
        _require_text(self.name, "name")

    def may(self, authority: Authority) -> bool:
        return authority in self.authority

    @property
    def may_sign(self) -> bool:
        """Signing powers were given, or the office carries them: heads of state and government and foreign
        ministers sign for their state without full powers."""
        return self.may(Authority.SIGN) or self.office is not None


@dataclass(frozen=True)
class Proposal:
    """One immutable version of the terms put on the table."""

    proposal_id: str
    tendered_by: str
    tendered_to: tuple[str, ...]
    terms: tuple[str, ...]
    tendered_at: datetime
    summary: str | None = None
    delivered_by: str | None = None
    venue: str | None = None
    counter_to: str | None = None
    supersedes: str | None = None
    respond_by: datetime | None = None
    document_sha256: str | None = None


@dataclass(frozen=True)
class Condition:
    """A demand or precondition a party attached to the deal."""

    condition_id: str
    raised_by: str
    kind: ConditionKind
    text: str
    blocking: bool
    raised_at: datetime
    status: ConditionStatus = ConditionStatus.OPEN
    legal_basis: str | None = None
    proposal_id: str | None = None
    resolved_at: datetime | None = None
    resolved_by: str | None = None
    resolution_note: str | None = None

    @property
    def is_open(self) -> bool:
        return self.status is ConditionStatus.OPEN

    @property
    def stands(self) -> bool:
        """Open, or rejected by another party: rejecting a demand does not meet it, so it still stands between the
        parties until it is satisfied, waived or withdrawn."""
        return self.status in (ConditionStatus.OPEN, ConditionStatus.REJECTED)

    @property
    def holds_up_conclusion(self) -> bool:
        """A blocking condition holds up acceptance, signature and ratification while it stands."""
        return self.blocking and self.stands


@dataclass(frozen=True)
class Speaker:
    """Who made a statement; anonymous speakers keep their title but not their name."""

    title: str | None = None
    name: str | None = None
    party_id: str | None = None
    anonymous: bool = False

    def __post_init__(self) -> None:
        _require(not (self.anonymous and self.name), "speaker.name", "must be empty for an anonymous speaker")
        _require(bool(self.name or self.title), "speaker", "needs a name or a title")


@dataclass(frozen=True)
class Statement:
    """A public position attributed to a speaker, with the sources that report it."""

    statement_id: str
    speaker: Speaker
    quote: str
    stance: Stance
    made_at: datetime
    paraphrase: str | None = None
    about_version: int | None = None
    cameo_code: str | None = None
    sources: tuple[Source, ...] = ()
    retracted: bool = False


@dataclass(frozen=True)
class Meeting:
    participants: tuple[str, ...]
    held_at: datetime
    venue: str | None = None
    topic: str | None = None
    proposal_id: str | None = None


@dataclass(frozen=True)
class Signature:
    party_id: str
    signed_at: datetime
    signatory: str | None = None
    place: str | None = None
    proposal_id: str | None = None


@dataclass(frozen=True)
class Ratification:
    party_id: str
    body: str | None
    at: datetime
    votes_for: int | None = None
    votes_against: int | None = None
    abstentions: int | None = None


@dataclass(frozen=True)
class Ball:
    """Who must act next, since when, and why."""

    party_ids: tuple[str, ...]
    since: datetime
    reason: str


VALUE_TYPES: tuple[type, ...] = (
    Source,
    Party,
    Representative,
    Proposal,
    Condition,
    Speaker,
    Statement,
    Meeting,
    Signature,
    Ratification,
    Ball,
)
ENUM_TYPES: tuple[type[Enum], ...] = (
    DealStatus,
    Role,
    PartyKind,
    Authority,
    Office,
    ConditionKind,
    ConditionStatus,
    Stance,
)
