"""Time travel through the timeline index and snapshots gives the same deal as folding every event from scratch.

A property-style check: a history with late reports, events dated out of order, corrections (of occurred_at too)
and retractions, recorded in several batches, with a snapshot every 3 events; then every cut at and around each
occurred_at and recorded_at in it, alone and combined.
"""

from __future__ import annotations

import random
from datetime import datetime, timedelta
from uuid import UUID

from fastapi.testclient import TestClient

from domain import DealEvent
from domain.cuts import Cut, fold, in_view, occurred_overrides
from service.api import schemas
from service.api.main import create_app
from service.entrypoints.demo import STORY
from service.settings import Settings
from service.wire import documents
from tests.replay.helpers import open_story, post

START = datetime.fromisoformat("2025-02-15T20:00:00+01:00")


def _later_events(rng: random.Random) -> list[list[dict]]:
    """Batches of events after the story: statements dated anywhere in the story, a condition raised and resolved,
    corrections (of quotes and of occurred_at) and a retraction."""
    batches: list[list[dict]] = []
    for batch in range(4):
        events = []
        for i in range(3):
            when = START - timedelta(hours=rng.randint(0, 90)) + timedelta(minutes=batch)
            events.append({"type": "statement_recorded", "statement_id": f"x{batch}{i}",
                           "speaker": {"title": "analyst"}, "quote": f"remark {batch}.{i}", "stance": "neutral",
                           "occurred_at": when.isoformat()})
        batches.append(events)
    batches.append([
        {"type": "condition_raised", "condition_id": "c3", "raised_by": "US", "kind": "financial",
         "text": "a fund jointly managed", "occurred_at": (START + timedelta(hours=1)).isoformat()},
        {"type": "condition_satisfied", "condition_id": "c3", "by_party": "UA",
         "occurred_at": (START + timedelta(hours=2)).isoformat()},
    ])
    batches.append([
        {"type": "event_corrected", "target_version": 14, "corrected_fields": {"quote": "remark, corrected"},
         "reason": "typo"},
        {"type": "event_corrected", "target_version": 15,
         "corrected_fields": {"occurred_at": (START - timedelta(days=4)).isoformat()}, "reason": "misdated"},
        {"type": "event_retracted", "target_version": 16, "reason": "not said"},
        {"type": "event_corrected", "target_version": 7,
         "corrected_fields": {"occurred_at": "2025-02-16T09:00:00+01:00"}, "reason": "the meeting was later"},
    ])
    return batches


def _cuts(events: list[DealEvent]) -> list[Cut]:
    tick = timedelta(microseconds=1)
    occurred = sorted({e.occurred_at for e in events} | {datetime.fromisoformat(v) for e in events
                      for k, v in getattr(e, "corrected_fields", {}).items() if k == "occurred_at"})
    recorded = sorted({e.timestamp for e in events})
    opened, first_known = events[0].occurred_at, events[0].timestamp
    as_ofs = [t + d for t in occurred for d in (-tick, timedelta(0)) if t + d >= opened]
    known_ats = [t + d for t in recorded for d in (-tick, timedelta(0)) if t + d >= first_known]
    cuts = [Cut(as_of=a) for a in as_ofs] + [Cut(known_at=k) for k in known_ats]
    cuts += [Cut(as_of=a, known_at=k) for a in as_ofs[::3] for k in known_ats]
    return cuts


def test_indexed_time_travel_equals_a_fold_of_every_event(settings: Settings) -> None:
    settings = settings.model_copy(update={"snapshot_interval": 3})
    rng = random.Random(20250215)
    with TestClient(create_app(settings)) as client:
        deal_id = open_story(client)
        post(client, deal_id, *STORY[:4])
        post(client, deal_id, *STORY[4:])
        for batch in _later_events(rng):
            post(client, deal_id, *batch)
        app = client.app.state.deals  # type: ignore[attr-defined]
        events: list[DealEvent] = list(app.events.get(UUID(deal_id)))  # type: ignore[arg-type]
        cuts = _cuts(events)

        mismatches = []
        for cut in cuts:
            expected = fold(in_view(events, cut, occurred_overrides(events, cut))).deal
            params = {k: v.isoformat() for k, v in (("as_of", cut.as_of), ("known_at", cut.known_at)) if v}
            actual = client.get(f"/deals/{deal_id}", params=params).json()
            if actual != schemas.DealOut(**documents.deal_out(expected)).model_dump(mode="json"):
                mismatches.append(params)

    assert len(cuts) > 100
    assert mismatches == []
