"""The request's pending claim of its Idempotency-Key, handed by the route to the one write it makes.

The idempotency middleware keeps a PendingClaim in the request's state (`request.state.idempotency_claim`) for a
POST carrying an Idempotency-Key. The route takes it (`claim_of(request)`) and passes it with its command; the
application puts it on the writer's job, and the writer saves the key's record in the transaction of the deal's
events, on every retry of it.
"""

from __future__ import annotations

import copy
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any
from uuid import UUID

from eventsourcing.domain import Aggregate
from starlette.requests import HTTPConnection

from service.idempotency.record import IdempotencyKey


@dataclass
class PendingClaim:
    key_id: UUID
    fingerprint: str
    request: str
    expired: IdempotencyKey | None = None  # the record of an expired use of the key, claimed again
    taken: bool = False  # a write has carried the claim (its outcome decides whether it was stored)
    body: bytes = field(default=b"", repr=False)  # the request's body (to rebuild a lost answer)
    # What of the answer is kept for replays, when not all of it may be (a secret shown once): see `keep_instead`.
    kept: Callable[[str], str] | None = field(default=None, repr=False)

    def aggregates(self, deal: Any) -> list[Aggregate]:
        """A fresh record for each attempt: an attempt that lost a race must not leave events pending."""
        if self.expired is None:
            return [IdempotencyKey.claim(self.key_id, self.fingerprint, self.request, deal.id, deal.version)]
        again = copy.deepcopy(self.expired)
        again.reclaim(self.fingerprint, self.request, deal.id, deal.version)
        return [again]


STATE = "idempotency_claim"  # the request state's key


def claim_of(request: HTTPConnection) -> PendingClaim | None:
    """The request's claim for the write it makes: None without an Idempotency-Key, or once a write has it."""
    claim: PendingClaim | None = request.scope.get("state", {}).get(STATE)
    if claim is None or claim.taken:
        return None
    claim.taken = True
    return claim


def keep_instead(request: HTTPConnection, kept: Callable[[str], str]) -> None:
    """For a request with an Idempotency-Key: store `kept(body)` for its replays instead of the answer's body
    (the first answer goes out whole). Without a key, nothing."""
    claim: PendingClaim | None = request.scope.get("state", {}).get(STATE)
    if claim is not None:
        claim.kept = kept
