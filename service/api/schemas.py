"""The public contract: what clients send and receive. Kept apart from the domain; mapped in api/mapping.py (the
bodies of the events a client appends are derived from the domain's commands in api/requests.py)."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any, Literal
from uuid import UUID

from pydantic import BaseModel, ConfigDict, Field

from domain.values import DealStatus, PartyKind, Role
from service.wire.schemas import (  # noqa: F401 - the API's schemas, with the types they share with every layer
    MAX_INT,
    BallOut,
    EventOut,
    Id,
    Name,
    Position,
    Problem,
    Short,
    ShortList,
    Text,
    Time,
    Url,
    UtcTime,
)


class Schema(BaseModel):
    model_config = ConfigDict(extra="forbid")


class SourceIn(Schema):
    """Where a fact was reported."""

    url: Url
    publisher: Name | None = None
    published_at: Time | None = None


class EventIn(Schema):
    occurred_at: Time | None = Field(
        None, description="When it happened in the world, with its offset. Defaults to now."
    )
    sources: Annotated[list[SourceIn], Field(max_length=50)] = []


# ---- membership -------------------------------------------------------------------------------------


class PartyIn(Schema):
    party_id: Id
    name: Name
    kind: PartyKind = PartyKind.STATE
    roles: Annotated[list[Role], Field(max_length=8)] = []


class SpeakerIn(Schema):
    title: Name | None = None
    name: Name | None = None
    party_id: Id | None = None
    anonymous: bool = False


class DealCreate(Schema):
    deal_id: UUID | None = Field(None, description="Defaults to a new UUID.")
    title: Name
    summary: Text | None = None
    parties: Annotated[list[PartyIn], Field(max_length=100)] = []
    requires_ratification: bool = False
    tags: ShortList = []
    predecessor_deal_id: UUID | None = None
    occurred_at: Time | None = Field(None, description="When the deal was opened. Defaults to now.")
    sources: Annotated[list[SourceIn], Field(max_length=50)] = []


# ---- what clients read ------------------------------------------------------------------------------


class EventPage(Schema):
    items: list[EventOut]
    next_after_version: int | None = Field(None, description="Pass as after_version for the next page.")
    next_cursor: str | None = Field(None, description="Pass as cursor for the next page (in either order).")


class FeedPage(Schema):
    """A page of the global feed. Positions rise in commit order but have gaps (a transaction that rolled back
    leaves its positions unused), so read on from next_after rather than counting."""

    items: list[EventOut]
    next_after: int = Field(description="Pass as after for the next page: the last position this page covered.")
    has_more: bool = Field(description="The page was full: read on at once (otherwise poll, or use the stream).")


class Change(Schema):
    path: str = Field(description="Where in the deal, as GET /deals/{deal_id} shows it, e.g. conditions.c1.status.")
    before: Any = Field(None, description="The value at the earlier version (null: it did not exist).")
    after: Any = Field(None, description="The value at the later version (null: it no longer exists).")
    summary: str = Field(description="The change in a sentence.")


class DealDiff(Schema):
    deal_id: UUID
    from_version: int
    to_version: int
    changes: list[Change]


class Recorded(Schema):
    deal_id: UUID
    version: int
    position: int | None = Field(None, description="Global position of the last event written.")
    events: list[EventOut]


class PartyOut(Schema):
    party_id: str
    name: str
    kind: PartyKind
    roles: list[Role]
    representatives: list[dict[str, Any]]


class DealOut(Schema):
    deal_id: UUID
    version: int
    title: str
    summary: str | None
    status: DealStatus
    requires_ratification: bool
    tags: list[str]
    predecessor_deal_id: str | None
    awaiting: BallOut
    allowed_events: list[str]
    parties: list[PartyOut]
    proposal_on_table: str | None
    accepted_proposal_id: str | None
    proposals: list[dict[str, Any]]
    conditions: list[dict[str, Any]]
    open_conditions: list[str]
    statements: list[dict[str, Any]]
    meetings: list[dict[str, Any]]
    signatures: list[dict[str, Any]]
    ratifications: list[dict[str, Any]]
    deadline_at: datetime | None
    corrections: dict[str, dict[str, Any]]
    created_at: datetime = Field(description="When the service recorded the opening.")
    updated_at: datetime = Field(description="When the service recorded the last event.")


class PartySummary(Schema):
    party_id: str
    name: str
    kind: PartyKind
    roles: list[Role]


class DealSummary(Schema):
    """A deal as the deal list (a projection of the log) has it."""

    deal_id: UUID
    title: str
    status: DealStatus
    version: int
    awaiting: list[str] = Field(description="The parties who hold the ball: who must act next.")
    awaiting_since: datetime | None = Field(None, description="When the ball moved to them (occurred_at).")
    awaiting_reason: str | None = None
    parties: list[PartySummary] = []
    open_conditions: int = Field(0, description="Conditions raised and not yet resolved.")
    opened_at: datetime | None = Field(None, description="When the deal was opened in the world (occurred_at).")
    created_at: datetime | None = Field(None, description="When the service recorded the opening.")
    updated_at: datetime = Field(description="When the service recorded the deal's last event.")
    position: int | None = Field(None, description="Global position of the deal's last event.")


class DealPage(Schema):
    items: list[DealSummary]
    next_cursor: str | None = Field(None, description="Pass as cursor for the next page; null on the last page.")
    position: int | None = Field(None, description="The log position the deal list reflects.")


class ProjectionLag(Schema):
    name: str = Field(description="The projection, e.g. deal_list.")
    position: int = Field(description="The last log position it has processed.")
    head: int = Field(description="The log's last position.")
    lag_events: int = Field(description="Events written after its position (positions may have gaps).")
    lag_seconds: float = Field(description="Age of the oldest unprocessed event (by recorded_at); 0 when none.")
    oldest_unprocessed_at: datetime | None = None


class ProjectionsOut(Schema):
    items: list[ProjectionLag]


class HealthOut(Schema):
    status: Literal["ok"]


class CheckOut(BaseModel):
    """One readiness check: ok, failing, behind (past its bound), stuck (a projection fails on the same event again
    and again: `stuck` names it and its position) or absent (the component is not part of this build)."""

    model_config = ConfigDict(extra="allow")
    status: Literal["ok", "failing", "behind", "stuck", "absent"]
    detail: str | None = None


class ReadinessOut(Schema):
    status: Literal["ready"]
    checks: dict[str, CheckOut]
