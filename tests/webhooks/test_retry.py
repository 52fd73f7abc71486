"""The retry schedule: fixed delays with ±jitter, exhausted after its last entry, stretched by a capped Retry-After."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from email.utils import format_datetime

import pytest

from service.webhooks.retry import DEFAULT_SCHEDULE, delay_honouring, next_delay, parse_retry_after

NOW = datetime(2025, 2, 15, 12, 0, tzinfo=UTC)


def test_the_default_schedule_is_the_standard_webhooks_one_over_about_75_hours() -> None:
    assert DEFAULT_SCHEDULE == (0, 5, 300, 1800, 7200, 18000, 36000, 50400, 72000, 86400)
    assert timedelta(seconds=sum(DEFAULT_SCHEDULE)) == timedelta(hours=75, minutes=35, seconds=5)


@pytest.mark.parametrize(("rand", "expected"), [(0.0, 240.0), (0.5, 300.0), (1.0, 360.0)])
def test_jitter_spreads_a_delay_by_at_most_20_percent(rand: float, expected: float) -> None:
    assert next_delay(2, DEFAULT_SCHEDULE, 0.2, rand=lambda: rand) == pytest.approx(expected)


def test_each_attempt_waits_its_own_step_of_the_schedule() -> None:
    delays = [next_delay(made, DEFAULT_SCHEDULE, 0.0) for made in range(1, len(DEFAULT_SCHEDULE))]

    assert delays == list(DEFAULT_SCHEDULE[1:])


def test_after_the_last_step_there_is_no_next_attempt() -> None:
    assert next_delay(len(DEFAULT_SCHEDULE), DEFAULT_SCHEDULE, 0.2) is None


@pytest.mark.parametrize(
    ("header", "seconds"),
    [("120", 120.0), (" 7 ", 7.0), (format_datetime(NOW + timedelta(minutes=3), usegmt=True), 180.0),
     (format_datetime(NOW - timedelta(minutes=3), usegmt=True), 0.0), ("soon", None), ("", None), (None, None),
     ("-5", None)],
)
def test_retry_after_is_read_as_seconds_or_an_http_date(header: str | None, seconds: float | None) -> None:
    assert parse_retry_after(header, NOW) == seconds


def test_retry_after_only_lengthens_a_delay_and_never_beyond_the_cap() -> None:
    assert delay_honouring(5.0, None, 3600) == 5.0
    assert delay_honouring(5.0, 60.0, 3600) == 60.0
    assert delay_honouring(300.0, 1.0, 3600) == 300.0
    assert delay_honouring(5.0, 86400.0, 3600) == 3600.0
