"""The timeline page's content without a browser: conditions closing, retracted and corrected statements, moved
events, unknown deals — on SQLite and PostgreSQL."""

from __future__ import annotations

import re
import uuid

from fastapi.testclient import TestClient

from tests.api.helpers import open_deal, post_events, tender


def test_closed_conditions_retractions_and_corrected_dates_show_on_the_page(client: TestClient) -> None:
    deal_id = open_deal(client)["deal_id"]
    for body in (
        tender(),
        {"type": "condition_raised", "condition_id": "c1", "raised_by": "UA", "text": "guarantees first",
         "occurred_at": "2025-02-13T10:00:00+02:00"},
        {"type": "condition_satisfied", "condition_id": "c1", "by_party": "US", "note": "guarantees offered",
         "occurred_at": "2025-02-20T10:00:00+02:00"},
        {"type": "statement_recorded", "statement_id": "s1", "speaker": {"name": "Jane Doe", "title": "envoy"},
         "quote": "We will sign.", "stance": "support", "occurred_at": "2025-02-14T10:00:00+02:00"},
        {"type": "event_retracted", "target_version": 7, "reason": "misattributed"},
        {"type": "event_corrected", "target_version": 5, "corrected_fields": {
            "occurred_at": "2025-02-13T08:00:00+02:00"}, "reason": "date was wrong"},
    ):
        assert post_events(client, deal_id, body).status_code == 201

    page = client.get(f"/deals/{deal_id}/timeline")

    assert page.status_code == 200 and page.headers["content-type"].startswith("text/html")
    html = page.text
    assert re.search(r'data-testid="condition" data-status="satisfied"><td><b>c1</b> guarantees first', html)
    assert "20 Feb 2025, 10:00 UTC+02:00" in html  # closed, in the time it happened where it happened
    assert 'class="retracted"' in html and ">retracted<" in html
    assert "Jane Doe, envoy" in html
    assert "date corrected" in html and "13 Feb 2025, 08:00 UTC+02:00" in html
    assert html.count('data-testid="state-band"') == 2  # draft, then proposed


def test_an_unknown_deal_has_no_timeline(client: TestClient) -> None:
    response = client.get(f"/deals/{uuid.uuid4()}/timeline")

    assert response.status_code == 404
    assert response.json()["code"] == "deal_not_found"


def test_a_long_history_lists_the_latest_events_and_says_so(client: TestClient) -> None:
    deal_id = open_deal(client)["deal_id"]
    post_events(client, deal_id, tender())

    page = client.get(f"/deals/{deal_id}/timeline", params={"limit": 2}).text

    assert page.count('data-testid="event"') == 2
    assert "The latest 2 of 4 events are listed" in page
    assert 'data-type="proposal_tendered"' in page and 'data-type="deal_opened"' not in page
