"""List deals from the deal list read model: filters, stable cursor pages, and reads that wait for one's own writes."""

from __future__ import annotations

import base64
import binascii
import json
from typing import Annotated, Any

from fastapi import APIRouter, Header, Query, Request, Response

from domain.errors import InvalidValue
from domain.values import DealStatus, Role
from service.api import schemas
from service.api.deps import AppDep
from service.api.errors import responses
from service.projections.deal_list_view import DealQuery, DealRow, Order
from service.projections.read_models import ReadModels

router = APIRouter(prefix="/deals", tags=["deals"])

PAGE_EXAMPLE = {
    "items": [{
        "deal_id": "0b6f1c1e-8d1a-4c3e-9a55-3f1f0d6c2a10", "title": "US–Ukraine minerals agreement",
        "status": "counter_proposal_pending", "version": 13, "awaiting": ["UA"],
        "awaiting_since": "2025-02-15T20:00:00+00:00", "awaiting_reason": "to present the announced counter-proposal",
        "parties": [{"party_id": "US", "name": "United States", "kind": "state", "roles": ["proposer", "signatory"]},
                    {"party_id": "UA", "name": "Ukraine", "kind": "state", "roles": ["counterparty", "authorizer"]}],
        "open_conditions": 2, "opened_at": "2025-02-12T09:00:00+02:00", "created_at": "2025-02-16T09:00:00+00:00",
        "updated_at": "2025-02-16T09:05:00+00:00", "position": 13}],
    "next_cursor": "eyJvIjoib3BlbmVkIiwiayI6MX0", "position": 13,
}


def read_models(request: Request) -> ReadModels:
    return request.app.state.read_models


def encode_cursor(order: str, key: int) -> str:
    return base64.urlsafe_b64encode(json.dumps({"o": order, "k": key}).encode()).decode().rstrip("=")


def decode_cursor(cursor: str, order: str) -> int:
    try:
        data = json.loads(base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)))
        key = data.get("k") if isinstance(data, dict) and data.get("o") == order else None
        if isinstance(key, int) and 0 <= key < 2**63:
            return key
    except (ValueError, binascii.Error):
        pass
    raise InvalidValue("cursor", f"is not a next_cursor this list gave out for order={order}")


def summary(row: DealRow) -> dict[str, Any]:
    return {
        "deal_id": row.deal_id, "title": row.title, "status": row.status, "version": row.version,
        "awaiting": list(row.awaiting), "awaiting_since": row.awaiting_since, "awaiting_reason": row.awaiting_reason,
        "parties": [{"party_id": p.party_id, "name": p.name, "kind": p.kind, "roles": list(p.roles)}
                    for p in row.parties],
        "open_conditions": row.open_conditions, "opened_at": row.opened_at, "created_at": row.created_at,
        "updated_at": row.updated_at, "position": row.position,
    }


@router.get(
    "",
    response_model=schemas.DealPage,
    responses={200: {"content": {"application/json": {"example": PAGE_EXAMPLE}}}, **responses(422, 503)},
)
def list_deals(
    request: Request,
    app: AppDep,
    response: Response,
    status: Annotated[list[DealStatus], Query(description="Only deals in these states (repeat the parameter).",
                                               examples=[["signing_withheld", "counter_proposal_pending"]])] = [],  # noqa: B006
    party: Annotated[str | None, Query(max_length=100, description="Only deals this party takes part in.",
                                       examples=["UA"])] = None,
    role: Annotated[Role | None, Query(description="With party: the party holds this role; alone: some party does.",
                                       examples=["authorizer"])] = None,
    awaiting: Annotated[str | None, Query(max_length=100, description="Only deals where this party holds the ball.",
                                          examples=["UA"])] = None,
    updated_since: Annotated[schemas.UtcTime | None, Query(description="Only deals with an event recorded at or after"
                                                         " this time.", examples=["2025-02-16T00:00:00Z"])] = None,
    q: Annotated[str | None, Query(max_length=300, description="Text the title contains (case-insensitive).",
                                   examples=["minerals"])] = None,
    order: Annotated[Order, Query(description="opened: oldest first; -opened: newest first; updated: by last "
                                  "change, oldest first (a deal changed while paging comes again at the end)")]
    = "opened",
    limit: Annotated[int, Query(ge=1, le=500)] = 100,
    cursor: Annotated[str | None, Query(max_length=200, description="next_cursor of the previous page")] = None,
    min_position: Annotated[int | None, Query(ge=1, le=2**62, description="Wait (up to DEALS_READ_WAIT_TIMEOUT) "
                                              "until the list reflects this position, e.g. a write's Deals-Position;"
                                              " else 503.")] = None,
    deals_min_position: Annotated[int | None, Header(ge=1, le=2**62, description="Same as min_position.")] = None,
) -> dict:
    """List deals with filters, newest or oldest first, a page at a time; can wait to include one's own writes."""
    views = read_models(request)
    position = views.wait_for(app, max(min_position or 0, deals_min_position or 0) or None)
    query = DealQuery(
        statuses=tuple(s.value for s in status), party=party, role=role.value if role else None, awaiting=awaiting,
        updated_since=updated_since, text=q, order=order, after=decode_cursor(cursor, order) if cursor else None,
        limit=limit + 1,
    )
    rows = views.deal_list.query(query)
    page, more = rows[:limit], len(rows) > limit
    key = "position" if order == "updated" else "opened_position"
    response.headers["Deals-Position"] = str(position)
    return {
        "items": [summary(row) for row in page],
        "next_cursor": encode_cursor(order, getattr(page[-1], key)) if more else None,
        "position": position,
    }
