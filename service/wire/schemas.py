"""The schema types of the public JSON, and the two documents every layer that sends events shows: an event (EventOut)
and who holds the ball (BallOut). The HTTP API's schemas (api/schemas.py) and the webhooks' build on these."""

from __future__ import annotations

import re
from datetime import UTC, datetime
from typing import Annotated, Any
from uuid import UUID

from pydantic import AfterValidator, AwareDatetime, BaseModel, BeforeValidator, ConfigDict, Field, StringConstraints

from domain.commands import LARGEST_NUMBER

Id = Annotated[str, StringConstraints(min_length=1, max_length=100, pattern=r"^[A-Za-z0-9_.:\-]+$")]
# The largest integer a request may carry: well within the 64-bit columns of both databases, and exact as the float
# FastAPI's OpenAPI models write bounds as (2**63 - 1 would be written as 2**63, a value no column holds).
MAX_INT = LARGEST_NUMBER
Position = Annotated[int, Field(ge=1, le=MAX_INT)]
Name = Annotated[str, StringConstraints(min_length=1, max_length=300)]
Text = Annotated[str, StringConstraints(max_length=20_000)]
Url = Annotated[str, StringConstraints(min_length=1, max_length=2_000)]
Short = Annotated[str, StringConstraints(max_length=300)]
ShortList = Annotated[list[Short], Field(max_length=100)]


def _fits_utc(value: datetime) -> datetime:
    """9999-12-31T23:59-23:00 is no time in UTC: comparing it with stored times would fail (OverflowError)."""
    try:
        value.astimezone(UTC)
    except OverflowError:
        raise ValueError("must fall within the years 1 to 9999 in UTC") from None
    return value


_RFC3339 = re.compile(r"^\d{4}-\d{2}-\d{2}[Tt ]\d{2}:\d{2}")


def _rfc3339_text(value: object) -> object:
    """A time is RFC 3339 text with its offset, as the schema says (`format: date-time`): pydantic would also read
    a number, or a string of digits, as seconds since 1970, which no client here means."""
    if isinstance(value, int | float) or (isinstance(value, str) and not _RFC3339.match(value)):
        raise ValueError("must be an RFC 3339 date-time with its offset, e.g. 2025-02-16T10:00:00+01:00")
    return value


Time = Annotated[AwareDatetime, BeforeValidator(_rfc3339_text)]
UtcTime = Annotated[Time, AfterValidator(_fits_utc)]


class Schema(BaseModel):
    model_config = ConfigDict(extra="forbid")


class EventOut(Schema):
    """One event of a deal's history, with its envelope; `data` has the shape it was posted in."""

    event_id: UUID
    deal_id: UUID
    version: int
    position: int | None = Field(None, description="Global position in the feed of all deals, when known.")
    type: str
    occurred_at: datetime
    recorded_at: datetime
    data: dict[str, Any]
    leaf_hash: str | None = Field(
        None, description="Base64 SHA-256 leaf hash of this event in the tamper-evident log (RFC 9162: of 0x00 and "
        "the item's RFC 8785 canonical JSON without leaf_hash), the same bytes GET /log/proof/inclusion?position= "
        "returns; null when the position is not known.")


class BallOut(Schema):
    party_ids: list[str]
    since: datetime
    reason: str


class Problem(BaseModel):
    """An RFC 9457 problem: type, title, status, detail, plus fields that explain it."""

    model_config = ConfigDict(extra="allow")
    type: str
    title: str
    status: int
    detail: str


# ---- operations ------------------------------------------------------------------------------------------
