"""Endpoint filters: event type patterns with wildcards, and deal ids."""

from __future__ import annotations

import pytest

from service.webhooks.filters import exact_types, matches, pattern_error

DEAL = "0b7e4c1a-9d2f-4e33-8a6b-5c1d2e3f4a5b"
OTHER = "1c8f5d2b-0e3a-4f44-9b7c-6d2e3f4a5b6c"


@pytest.mark.parametrize("patterns", [["*"], ["deal.*"], ["deal.signing_withheld"], ["deal.opened", "*"]])
def test_a_wildcard_or_the_exact_type_selects_the_event(patterns: list[str]) -> None:
    assert matches(patterns, None, "deal.signing_withheld", DEAL)


def test_another_exact_type_does_not_select_the_event() -> None:
    assert not matches(["deal.proposal_tendered", "deal.signature_added"], None, "deal.signing_withheld", DEAL)


def test_deal_ids_narrow_the_selection_to_those_deals() -> None:
    assert matches(["*"], [DEAL], "deal.signing_withheld", DEAL)
    assert not matches(["*"], [DEAL], "deal.signing_withheld", OTHER)
    assert matches(["*"], [], "deal.signing_withheld", OTHER)


@pytest.mark.parametrize("pattern", ["*", "deal.*", "deal.signing_withheld", "deal.deal_opened"])
def test_wildcards_and_known_types_are_valid_patterns(pattern: str) -> None:
    assert pattern_error(pattern) is None


@pytest.mark.parametrize("pattern", ["deal.signing_withheldd", "signing_withheld", "deal.sign*", "invoice.*", "**"])
def test_a_pattern_that_can_match_nothing_is_refused_with_a_reason(pattern: str) -> None:
    assert pattern in (pattern_error(pattern) or "")


def test_exact_types_lists_the_types_unless_a_wildcard_takes_them_all() -> None:
    assert exact_types(["deal.signature_added", "deal.deal_opened"]) == ["deal.deal_opened", "deal.signature_added"]
    assert exact_types(["deal.signature_added", "deal.*"]) is None
