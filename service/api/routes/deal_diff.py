"""What changed in a deal between two of its versions."""

from __future__ import annotations

from typing import Annotated
from uuid import UUID

from fastapi import APIRouter, Query

from domain.errors import InvalidValue
from service.api import schemas
from service.api.deps import AppDep
from service.api.diff import diff_deals
from service.api.errors import responses
from service.replay.timetravel import OutsideHistory
from service.wire import documents

router = APIRouter(prefix="/deals/{deal_id}", tags=["deals"])

DIFF_EXAMPLE = {
    "deal_id": "5b0c3c1e-8f1e-4c55-a4a1-0d1e2f3a4b5c",
    "from_version": 7,
    "to_version": 9,
    "changes": [
        {"path": "status", "before": "proposed", "after": "signing_withheld",
         "summary": "status: proposed → signing_withheld"},
        {"path": "awaiting", "before": {"party_ids": ["UA"], "reason": "to answer proposal v1"},
         "after": {"party_ids": ["US"], "reason": "to revise proposal v1 after signing was withheld"},
         "summary": "ball: UA (to answer proposal v1) → US (to revise proposal v1 after signing was withheld)"},
        {"path": "conditions.c1", "before": None, "after": {"condition_id": "c1", "raised_by": "UA", "status": "open"},
         "summary": "condition c1 raised by UA: For me, it is crucial to connect some kind of security guarantees…"},
    ],
}


@router.get(
    "/diff",
    response_model=schemas.DealDiff,
    responses={200: {"content": {"application/json": {"example": DIFF_EXAMPLE}}}, **responses(404, 422)},
)
def read_diff(
    deal_id: UUID,
    app: AppDep,
    from_version: Annotated[int, Query(alias="from", ge=1, le=schemas.MAX_INT, description="The earlier version.",
                                       openapi_examples={"before the withholding": {"value": 7}})],
    to_version: Annotated[int | None, Query(alias="to", ge=1, le=schemas.MAX_INT, description="The later version "
                                            "(default: the current one).",
                                            openapi_examples={"after the first condition": {"value": 9}})] = None,
) -> dict:
    """What changed between two versions of the deal: status, ball, parties, proposals, conditions, statements."""
    later = app.get_deal(deal_id, version=to_version)
    if to_version is not None and later.version < to_version:
        raise OutsideHistory("to", f"must be between 1 and {later.version}, the deal's current version")
    if from_version > later.version:
        raise InvalidValue("from", f"must not be after to ({later.version})")
    earlier = app.get_deal(deal_id, version=from_version)
    before, after = (documents.jsonable(documents.deal_out(d)) for d in (earlier, later))
    return {"deal_id": deal_id, "from_version": from_version, "to_version": later.version,
            "changes": diff_deals(before, after)}
