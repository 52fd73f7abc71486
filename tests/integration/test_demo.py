"""`deals demo` records the Munich story and ends where the story ends."""

from __future__ import annotations

from fastapi.testclient import TestClient

from service.api.main import create_app
from service.entrypoints.demo import record_story
from service.settings import Settings


def test_demo_story_ends_with_counter_proposal_pending_and_ball_with_ukraine(settings: Settings) -> None:
    with TestClient(create_app(settings)) as client:
        deal_id = record_story(client)
        deal = client.get(f"/deals/{deal_id}").json()

    assert deal["status"] == "counter_proposal_pending"
    assert deal["awaiting"]["party_ids"] == ["UA"]
    assert deal["open_conditions"] == ["c1", "c2"]
    assert {s["statement_id"] for s in deal["statements"]} == {"s1", "s2"}
