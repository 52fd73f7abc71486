"""The bridge from the HTTP layer to the write path: the request's pending claim, taken by the one write it makes.

The idempotency middleware puts a PendingClaim in the context of a POST carrying an Idempotency-Key; the
application's write methods pass it on with `with_claim(also_save)`, so the key's record is saved in the same
transaction as the deal's events, by whichever write path (group commit or not) and on every retry of it.
"""

from __future__ import annotations

import copy
from collections.abc import Callable, Sequence
from contextvars import ContextVar
from dataclasses import dataclass, field
from typing import Any
from uuid import UUID

from eventsourcing.domain import Aggregate

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


CURRENT: ContextVar[PendingClaim | None] = ContextVar("idempotency_claim", default=None)


def keep_instead(kept: Callable[[str], str]) -> None:
    """For a request with an Idempotency-Key: store `kept(body)` for its replays instead of the answer's body
    (the first answer goes out whole). Without a key, nothing."""
    claim = CURRENT.get()
    if claim is not None:
        claim.kept = kept
AlsoSave = Sequence[Aggregate] | Callable[[Any], Sequence[Aggregate]]


def with_claim(also_save: AlsoSave) -> AlsoSave:
    """`also_save` plus this request's pending claim, the first time a write asks (a request claims once)."""
    claim = CURRENT.get()
    if claim is None or claim.taken:
        return also_save
    claim.taken = True
    if not also_save:
        return claim.aggregates

    def both(deal: Any) -> Sequence[Aggregate]:
        extra = also_save(deal) if callable(also_save) else also_save
        return [*extra, *claim.aggregates(deal)]

    return both
