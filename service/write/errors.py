"""What a write may fail with, besides the domain's own refusals: a stale If-Match, a lost race, a taken id."""

from __future__ import annotations

from domain import DomainError


class StaleVersion(DomainError):
    """Raised when a writer's If-Match names a version that is no longer the deal's current one."""

    code = "stale_version"

    def __init__(self, expected: int, current: int) -> None:
        super().__init__(
            f"the deal is at version {current}, not {expected}; re-read it and decide again",
            expected_version=expected,
            current_version=current,
        )
        self.current = current


class WriteConflict(DomainError):
    """Raised when a write kept losing the race against concurrent writers to the same deal."""

    code = "write_conflict"


class DealExists(DomainError):
    """Raised when a deal is opened with an id that is already taken."""

    code = "deal_exists"
