"""A follower that fails on the same event again and again is stuck, not slow: it says so at once.

The deal list worker reports every failed catch-up here with the position of the event it could not project.
After STUCK_AFTER failures in a row at one position the projection is stuck: /readyz of this process fails naming
the projection and the position, `deals_projection_failures_total` has counted every try, and the log says what
to do (look at the event, then rebuild leaving its deal out). A success past the position clears the fault.
"""

from __future__ import annotations

import logging
import threading
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from uuid import UUID

from prometheus_client import Counter

log = logging.getLogger(__name__)
STUCK_AFTER = 3
REMIND_EVERY = 300  # tries (about five minutes): a stuck projection is said again in the log, never forgotten
PROJECTION_FAILURES = Counter(
    "deals_projection_failures",
    "Failed attempts of a projection to process an event, by projection (a stuck one keeps counting).",
    ["projection"],
)


@dataclass(frozen=True)
class Fault:
    projection: str
    position: int
    deal_id: UUID | None
    reason: str
    attempts: int
    since: datetime

    @property
    def stuck(self) -> bool:
        return self.attempts >= STUCK_AFTER

    def advice(self) -> str:
        deal = f" (deal {self.deal_id})" if self.deal_id else ""
        return (f"the {self.projection} projection is stuck at position {self.position}{deal} after {self.attempts} "
                f"tries: {self.reason}. Look at the event (deals replay {self.deal_id or '<deal id>'}), then run "
                f"`deals projections rebuild --skip-position {self.position}` to rebuild without its deal")


class PoisonedEvent(Exception):
    """An event the projection cannot process, whatever the number of tries."""

    def __init__(self, projection: str, position: int, deal_id: UUID | None, cause: BaseException) -> None:
        self.projection = projection
        self.position = position
        self.deal_id = deal_id
        self.reason = f"{type(cause).__name__}: {cause}".strip()[:500]
        super().__init__(f"{projection} cannot process the event at position {position}: {self.reason}")


class Faults:
    """The faults of this process's projections (each projection runs in one process at a time)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._faults: dict[str, Fault] = {}

    def failed(self, poisoned: PoisonedEvent) -> Fault:
        PROJECTION_FAILURES.labels(poisoned.projection).inc()
        with self._lock:
            before = self._faults.get(poisoned.projection)
            if before is not None and before.position == poisoned.position:
                fault = replace(before, attempts=before.attempts + 1, reason=poisoned.reason)
            else:
                fault = Fault(poisoned.projection, poisoned.position, poisoned.deal_id, poisoned.reason, 1,
                              datetime.now(UTC))
            self._faults[poisoned.projection] = fault
        if fault.attempts == STUCK_AFTER or (fault.stuck and fault.attempts % REMIND_EVERY == 0):
            log.error(fault.advice())
        elif not fault.stuck:
            log.warning("%s (try %s of %s before it counts as stuck)", poisoned, fault.attempts, STUCK_AFTER)
        return fault

    def cleared(self, projection: str, position: int) -> None:
        with self._lock:
            fault = self._faults.get(projection)
            if fault is not None and position >= fault.position:
                del self._faults[projection]
                log.info("the %s projection got past position %s", projection, fault.position)

    def stuck(self) -> list[Fault]:
        with self._lock:
            return [fault for fault in self._faults.values() if fault.stuck]


FAULTS = Faults()
