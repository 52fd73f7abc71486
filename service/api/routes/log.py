"""The tamper-evident log: signed checkpoints, the verifier key, proofs, and a deal's verification
(service/ledger/)."""

from __future__ import annotations

from typing import Annotated, Any
from uuid import UUID

from fastapi import APIRouter, Query, Request, Response
from fastapi.responses import JSONResponse, PlainTextResponse

from service.api.deps import AppDep
from service.api.errors import responses
from service.http.problem import problem
from service.ledger.note import BadNote, key_id_of
from service.ledger.proofs import ProofRefused, b64, consistency, inclusion
from service.ledger.service import Ledger, LedgerOff, Unsigned
from service.ledger.verify import verify_deal

# log_off (404): this deployment keeps no log (DEALS_LEDGER=off); unsigned (404): it keeps the log but signs no
# checkpoints (PostgreSQL without DEALS_LEDGER_SIGNING_KEY); not_in_log (404), beyond_log (422).
router = APIRouter(tags=["log"], responses=responses(404, 422))

Size = Annotated[int, Query(ge=1, le=2**62)]


def ledger_of(request: Request) -> Ledger:
    state = request.app.state
    if getattr(state, "ledger", None) is None:
        state.ledger = Ledger(state.settings)
    return state.ledger


def close_ledger(app: Any) -> None:
    ledger = getattr(app.state, "ledger", None)
    if ledger is not None:
        ledger.close()
        app.state.ledger = None


def _refused(error: Exception) -> JSONResponse:
    if isinstance(error, ProofRefused):
        return problem(error.status, error.code, error.detail)
    if isinstance(error, LedgerOff):
        return problem(404, "log_off", str(error))
    if isinstance(error, Unsigned):
        return problem(404, "unsigned", str(error))
    return problem(500, "log_checkpoint_invalid", str(error))


@router.get("/log/checkpoint", response_class=PlainTextResponse,
            responses={200: {"content": {"text/plain": {}}, "description": "A C2SP tlog-checkpoint in a signed note."}})
def read_checkpoint(request: Request) -> Response:
    """The latest signed checkpoint (cut at most about once a second while the log grows)."""
    try:
        ledger = ledger_of(request)
        ledger.key  # noqa: B018  (refuses when no key signs this log's checkpoints)
        latest = ledger.latest()
    except (LedgerOff, Unsigned) as error:
        return _refused(error)
    if latest is None:
        return problem(503, "no_checkpoint", "no checkpoint has been cut yet")
    return PlainTextResponse(latest.note)


@router.get("/log/checkpoints")
def list_checkpoints(request: Request, before: Annotated[int | None, Query(ge=1, le=2**62)] = None,
                     limit: Annotated[int, Query(ge=1, le=1000)] = 100) -> Response:
    """Every checkpoint cut, newest first: pass `before` (a tree size) to read older ones."""
    try:
        found = ledger_of(request).store.list_checkpoints(limit, before)
    except LedgerOff as error:
        return _refused(error)
    return JSONResponse({"items": [{"tree_size": c.tree_size, "root_hash": b64(c.root), "cut_at": c.cut_at,
                                    "checkpoint": c.note} for c in found]})


@router.get("/log/key", response_class=PlainTextResponse)
def read_key(request: Request) -> Response:
    """The verifier key of the checkpoints' signatures: `<name>+<hex key id>+<base64(0x01 || Ed25519 key)>`."""
    try:
        return PlainTextResponse(ledger_of(request).key.verifier + "\n")
    except (LedgerOff, Unsigned) as error:
        return _refused(error)


@router.get("/log/keys")
def list_keys(request: Request) -> Response:
    """Every key the log's checkpoints have been signed with, oldest first: the current one, and those it replaced
    (a checkpoint one of them signed still verifies), each with the tree size from which it signed."""
    try:
        keys = ledger_of(request).signing_keys()
    except LedgerOff as error:
        return _refused(error)
    return JSONResponse({"items": [{"key_id": k.key_id, "verifier_key": k.verifier, "from_tree_size": k.from_tree_size,
                                    "status": "current" if k.current else "retired"} for k in keys]})


@router.get("/log/proof/inclusion")
def read_inclusion(request: Request, position: Annotated[int, Query(ge=1, le=2**62)],
                   tree_size: Size | None = None) -> Response:
    """The proof (RFC 9162 §2.1.3) that the event at a feed position is in the tree of `tree_size` leaves
    (default: the latest checkpoint's, else the whole tree's)."""
    try:
        return JSONResponse(inclusion(ledger_of(request).store, position, tree_size).json())
    except (ProofRefused, LedgerOff) as error:
        return _refused(error)


@router.get("/log/proof/consistency")
def read_consistency(request: Request, first: Annotated[int, Query(alias="from", ge=1, le=2**62)],
                     second: Annotated[int, Query(alias="to", ge=1, le=2**62)]) -> Response:
    """The proof (RFC 9162 §2.1.4) that the tree of `from` leaves is a prefix of the tree of `to`."""
    try:
        hashes = consistency(ledger_of(request).store, first, second)
    except (ProofRefused, LedgerOff) as error:
        return _refused(error)
    return JSONResponse({"from": first, "to": second, "hashes": [b64(h) for h in hashes]})


@router.get("/deals/{deal_id}/verify")
def verify(request: Request, deal_id: UUID, app: AppDep) -> Response:
    """Re-read the deal's stored events, re-hash them, and compare them with the log's leaves and the latest
    signed checkpoint: every version edited, deleted, inserted or moved is named."""
    signed_by = None
    try:
        ledger = ledger_of(request)
        latest = ledger.latest()
        if latest is not None:
            signed_by = key_id_of(ledger.signed(latest)[1])
    except (LedgerOff, BadNote) as error:
        return _refused(error)
    report = verify_deal(app, ledger.store, deal_id, latest)
    if report is None:
        return problem(404, "deal_not_found", f"no deal {deal_id}")
    checkpoint = None if latest is None else {"tree_size": latest.tree_size, "key_id": signed_by}
    return JSONResponse({"deal_id": str(deal_id), "intact": report.intact, "version": report.version,
                         "checkpoint": checkpoint,
                         "problems": [{"version": p.version, "reason": p.reason} for p in report.problems]})
