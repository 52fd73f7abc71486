"""Which events an endpoint wants: event type patterns (`*`, `deal.*`, `deal.signing_withheld`) and deal ids."""

from __future__ import annotations

from collections.abc import Sequence

from domain import EVENT_CLASSES

DEAL_TYPES = frozenset(f"deal.{name}" for name in EVENT_CLASSES)
WILDCARDS = frozenset({"*", "deal.*"})
TEST_TYPE = "webhook.test"


def pattern_error(pattern: str) -> str | None:
    """Why a pattern can match nothing, or None when it is fine."""
    if pattern in WILDCARDS or pattern in DEAL_TYPES:
        return None
    return f"{pattern!r} is neither a wildcard (*, deal.*) nor a deal event type such as deal.signing_withheld"


def matches(patterns: Sequence[str], deal_ids: Sequence[str] | None, event_type: str, deal_id: str) -> bool:
    if deal_ids and deal_id not in deal_ids:
        return False
    return any(p in WILDCARDS or p == event_type for p in patterns)


def exact_types(patterns: Sequence[str]) -> list[str] | None:
    """The event types the patterns select, or None when they select every deal event."""
    if any(p in WILDCARDS for p in patterns):
        return None
    return sorted(set(patterns))
