"""`deals replay` prints the timeline in view and the state, reading the configured database directly."""

from __future__ import annotations

import subprocess
import sys

from fastapi.testclient import TestClient

from service.api.main import create_app
from service.replay.feed import FeedReader
from service.settings import Settings
from tests.reliability.servers import ROOT, service_env
from tests.replay.helpers import END_OF_14_FEB, forget_feed_json, record_story


def _replay(settings: Settings, *args: str) -> subprocess.CompletedProcess[str]:
    env = service_env(database_url=settings.database_url, postgres_schema=settings.postgres_schema)
    env["COLUMNS"] = "200"
    return subprocess.run([sys.executable, "-m", "service.entrypoints.cli", "replay", *args], env=env, cwd=ROOT,
                          capture_output=True, text=True, timeout=60)


def test_replay_as_of_prints_the_events_then_in_view_and_the_state_they_give(settings: Settings) -> None:
    with TestClient(create_app(settings)) as client:
        deal_id = record_story(client)

    as_of = _replay(settings, deal_id, "--as-of", END_OF_14_FEB)
    by_version = _replay(settings, deal_id, "--at-version", "8")
    now = _replay(settings, deal_id)

    assert as_of.returncode == 0, as_of.stderr
    assert "meeting_held" in as_of.stdout and "signing_withheld" not in as_of.stdout
    assert f"deal {deal_id}  version 7" in as_of.stdout
    assert "status: proposed" in as_of.stdout
    assert "ball with: UA" in as_of.stdout
    assert "status: signing_withheld" in by_version.stdout and "condition_raised" not in by_version.stdout
    assert "status: counter_proposal_pending" in now.stdout
    assert "open conditions: c1, c2" in now.stdout


def test_replay_outside_the_history_says_why_and_fails(settings: Settings) -> None:
    with TestClient(create_app(settings)) as client:
        deal_id = record_story(client)

    too_far = _replay(settings, deal_id, "--at-version", "99")
    naive = _replay(settings, deal_id, "--as-of", "2025-02-14")

    assert too_far.returncode == 1
    assert "version must be between 1 and 13" in too_far.stdout
    assert naive.returncode == 1
    assert "--as-of must include a timezone offset" in naive.stdout


def test_feed_backfill_stores_the_json_of_events_recorded_without_it(settings: Settings) -> None:
    with TestClient(create_app(settings)) as client:
        deal_id = record_story(client)
        history = client.get(f"/deals/{deal_id}/events", params={"limit": 1000}).json()["items"]
        app = client.app.state.deals  # type: ignore[attr-defined]
        forget_feed_json(app)
        before = [row[1] for row in FeedReader(app).recorder.select_feed(0, 1000)]

        backfilled = subprocess.run([sys.executable, "-m", "service.entrypoints.cli", "feed", "backfill"], cwd=ROOT,
                                    env=service_env(database_url=settings.database_url,
                                                    postgres_schema=settings.postgres_schema),
                                    capture_output=True, text=True, timeout=60)
        after = [row[1] for row in FeedReader(app).recorder.select_feed(0, 1000)]
        feed = client.get("/events", params={"limit": 1000}).json()["items"]

    assert backfilled.returncode == 0, backfilled.stderr
    assert "stored the feed JSON of 13 events" in backfilled.stdout
    assert before == [None] * 13 and None not in after and len(after) == 13
    assert feed == history
