"""When to try a failed delivery again: a fixed schedule with ±jitter, stretched by a capped `Retry-After`."""

from __future__ import annotations

import random
from collections.abc import Callable, Sequence
from datetime import datetime
from email.utils import parsedate_to_datetime

# Seconds before each attempt: immediately, 5 s, 5 min, 30 min, 2 h, 5 h, 10 h, 14 h, 20 h, 24 h (Standard Webhooks).
DEFAULT_SCHEDULE: tuple[float, ...] = (0, 5, 300, 1800, 7200, 18000, 36000, 50400, 72000, 86400)


def next_delay(
    attempts_made: int, schedule: Sequence[float], jitter: float, rand: Callable[[], float] = random.random
) -> float | None:
    """Seconds until the next attempt after `attempts_made` attempts, or None when the schedule is exhausted."""
    if attempts_made >= len(schedule):
        return None
    return schedule[attempts_made] * (1 + jitter * (2 * rand() - 1))


def parse_retry_after(value: str | None, now: datetime) -> float | None:
    """`Retry-After` as seconds from now: delta-seconds or an HTTP date; None when absent or unreadable."""
    if value is None:
        return None
    value = value.strip()
    if value.isdigit():
        return float(value)
    try:
        when = parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    if when.tzinfo is None:
        return None
    return max(0.0, (when - now).total_seconds())


def delay_honouring(scheduled: float, retry_after: float | None, cap: float) -> float:
    """The receiver may ask for more time than the schedule gives, never for less, and never beyond the cap."""
    if retry_after is None:
        return scheduled
    return max(scheduled, min(retry_after, cap))
