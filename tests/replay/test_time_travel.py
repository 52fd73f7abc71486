"""GET /deals/{id}?version=|as_of=|known_at=: the deal as it stood, against the hand-computed Munich story."""

from __future__ import annotations

from typing import Any
from uuid import UUID

from fastapi.testclient import TestClient
from psycopg import sql

from service.entrypoints.demo import STORY
from service.storage.postgres_recorder import IndexedPostgresApplicationRecorder
from tests.replay.helpers import (
    END_OF_14_FEB,
    END_OF_16_FEB,
    WITHHOLDING,
    deal_at,
    open_story,
    post,
    problem,
    record_story,
)


def test_as_of_follows_the_story_through_munich(client: TestClient) -> None:
    deal_id = record_story(client)

    on_14_feb = deal_at(client, deal_id, as_of=END_OF_14_FEB)
    after_withholding = deal_at(client, deal_id, as_of=WITHHOLDING)
    at_the_end = deal_at(client, deal_id, as_of=END_OF_16_FEB)

    assert on_14_feb["status"] == "proposed"
    assert on_14_feb["version"] == 7  # opened, 2 parties, 2 representatives, proposal v1, the Vance meeting
    assert on_14_feb["awaiting"]["party_ids"] == ["UA"]
    assert [p["proposal_id"] for p in on_14_feb["proposals"]] == ["v1"]
    assert on_14_feb["conditions"] == [] and on_14_feb["statements"] == []
    assert len(on_14_feb["meetings"]) == 1
    assert after_withholding["status"] == "signing_withheld"
    assert after_withholding["awaiting"]["party_ids"] == ["US"]
    assert after_withholding["open_conditions"] == ["c1"]
    assert at_the_end["status"] == "counter_proposal_pending"
    assert at_the_end["awaiting"]["party_ids"] == ["UA"]
    assert at_the_end["open_conditions"] == ["c1", "c2"]
    assert {s["statement_id"] for s in at_the_end["statements"]} == {"s1", "s2"}
    assert at_the_end == deal_at(client, deal_id)


def test_version_gives_the_deal_after_its_nth_event_with_that_etag(client: TestClient) -> None:
    deal_id = record_story(client)

    response = client.get(f"/deals/{deal_id}", params={"version": 8})

    assert response.status_code == 200
    assert response.headers["etag"] == '"8"'
    assert response.json()["status"] == "signing_withheld"
    assert response.json()["version"] == 8
    assert response.json()["conditions"] == []


def test_known_at_shows_what_the_service_knew_and_combines_with_as_of(client: TestClient) -> None:
    deal_id = open_story(client)
    first_part = post(client, deal_id, *STORY[:5])  # up to the withholding, version 8
    known_then = first_part["events"][-1]["recorded_at"]
    post(client, deal_id, *STORY[5:])

    known = deal_at(client, deal_id, known_at=known_then)
    known_and_before_munich = deal_at(client, deal_id, known_at=known_then, as_of=END_OF_14_FEB)

    assert known["version"] == 8
    assert known["status"] == "signing_withheld"
    assert known["conditions"] == [] and known["statements"] == []
    assert known_and_before_munich["version"] == 7
    assert known_and_before_munich["status"] == "proposed"


def test_a_late_report_is_in_the_world_view_but_not_in_what_was_known_before_it(client: TestClient) -> None:
    deal_id = record_story(client)
    before_report = client.get(f"/deals/{deal_id}/events", params={"limit": 1000}).json()["items"][-1]["recorded_at"]
    post(client, deal_id, {"type": "statement_recorded", "statement_id": "s0", "speaker": {"name": "JD Vance"},
                           "quote": "very good and substantive", "stance": "support",
                           "occurred_at": "2025-02-14T12:00:00+01:00"})

    world = deal_at(client, deal_id, as_of=END_OF_14_FEB)
    as_known_before = deal_at(client, deal_id, as_of=END_OF_14_FEB, known_at=before_report)

    assert [s["statement_id"] for s in world["statements"]] == ["s0"]
    assert world["status"] == "proposed"
    assert as_known_before["statements"] == []


def test_corrections_and_retractions_apply_once_known_whatever_their_own_time(client: TestClient) -> None:
    deal_id = record_story(client)
    before_corrections = client.get(f"/deals/{deal_id}").json()["updated_at"]
    post(client, deal_id,
         {"type": "event_corrected", "target_version": 10, "corrected_fields": {"quote": "very short-sighted"},
          "reason": "misquoted"},
         {"type": "event_retracted", "target_version": 11, "reason": "the source withdrew the quote"},
         {"type": "event_corrected", "target_version": 7,
          "corrected_fields": {"occurred_at": "2025-02-13T10:00:00+01:00"}, "reason": "the meeting was a day earlier"})

    corrected = deal_at(client, deal_id, as_of=END_OF_16_FEB)
    uncorrected = deal_at(client, deal_id, as_of=END_OF_16_FEB, known_at=before_corrections)
    on_13_feb = deal_at(client, deal_id, as_of="2025-02-13T23:00:00+01:00")
    on_13_feb_as_known_before = deal_at(client, deal_id, as_of="2025-02-13T23:00:00+01:00",
                                        known_at=before_corrections)

    statements = {s["statement_id"]: s for s in corrected["statements"]}
    assert statements["s1"]["quote"] == "very short-sighted"
    assert statements["s2"]["retracted"] is True
    assert set(corrected["corrections"]) == {"7", "10"}
    assert {s["statement_id"]: s["quote"] for s in uncorrected["statements"]}["s1"] == "short-sighted"
    assert not any(s["retracted"] for s in uncorrected["statements"])
    assert uncorrected["corrections"] == {}
    assert len(on_13_feb["meetings"]) == 1  # the meeting moved to 13 Feb once the correction was known
    assert on_13_feb["corrections"] == {"7": {"occurred_at": "2025-02-13T10:00:00+01:00"}}
    assert on_13_feb_as_known_before["meetings"] == []


def test_a_view_skips_an_event_whose_subject_happened_later_in_the_world(client: TestClient) -> None:
    deal_id = record_story(client)
    # Reported late and dated before the condition was raised: in the world of 15 Feb, 11:00 it cannot apply.
    post(client, deal_id, {"type": "condition_waived", "condition_id": "c1", "by_party": "US",
                           "occurred_at": "2025-02-15T11:00:00+01:00"})

    before_raised = deal_at(client, deal_id, as_of="2025-02-15T11:30:00+01:00")
    after_raised = deal_at(client, deal_id, as_of=WITHHOLDING)

    assert before_raised["conditions"] == []
    assert before_raised["status"] == "proposed"
    assert {c["condition_id"]: c["status"] for c in after_raised["conditions"]} == {"c1": "waived"}


def test_times_and_versions_outside_the_history_are_422_naming_the_parameter(client: TestClient) -> None:
    deal_id = record_story(client)
    url = f"/deals/{deal_id}"
    opened_at = client.get(f"/deals/{deal_id}").json()["created_at"]

    too_far = problem(client, url, version=14)
    zero = problem(client, url, version=0)
    before_opening = problem(client, url, as_of="2025-02-12T06:59:59+00:00")
    future = problem(client, url, as_of="2999-01-01T00:00:00Z")
    known_before = problem(client, url, known_at="2025-02-16T00:00:00Z")
    naive = problem(client, url, as_of="2025-02-14T12:00:00")
    both = problem(client, url, version=3, as_of=END_OF_14_FEB)

    assert (too_far["status"], too_far["code"], too_far["field"]) == (422, "outside_history", "version")
    assert "1 and 13" in too_far["detail"]
    assert (zero["status"], zero["errors"][0]["field"]) == (422, "version")
    assert (before_opening["status"], before_opening["code"], before_opening["field"]) == (422, "outside_history",
                                                                                           "as_of")
    assert (future["code"], future["field"]) == ("outside_history", "as_of")
    assert (known_before["code"], known_before["field"]) == ("outside_history", "known_at")
    assert opened_at[:10] in known_before["detail"]
    assert (naive["status"], naive["errors"][0]["field"]) == (422, "as_of")
    assert (both["status"], both["field"]) == (422, "version")


def test_an_unknown_deal_is_404_at_any_cut(client: TestClient) -> None:
    url = "/deals/00000000-0000-4000-8000-000000000000"

    assert problem(client, url, as_of=END_OF_14_FEB)["status"] == 404
    assert problem(client, url, version=1)["status"] == 404


def test_a_log_recorded_before_the_timeline_index_existed_is_indexed_when_first_read(client: TestClient) -> None:
    deal_id = record_story(client)
    expected = {when: deal_at(client, deal_id, as_of=when) for when in (END_OF_14_FEB, WITHHOLDING, END_OF_16_FEB)}
    recorder = client.app.state.deals.recorder  # type: ignore[attr-defined]
    _forget_index_rows(recorder, deal_id, up_to_version=8)  # as if versions 1-8 were written by an older release

    replayed = {when: deal_at(client, deal_id, as_of=when) for when in expected}

    assert replayed == expected
    assert recorder.deal_extent(UUID(deal_id)).complete


def _forget_index_rows(recorder: Any, deal_id: str, up_to_version: int) -> None:
    if isinstance(recorder, IndexedPostgresApplicationRecorder):
        statement = sql.SQL("DELETE FROM {} WHERE originator_id = %s AND originator_version <= %s").format(
            recorder.timeline)
        with recorder.datastore.transaction(commit=True) as curs:
            curs.execute(statement, (UUID(deal_id), up_to_version))
        return
    with recorder.datastore.transaction(commit=True) as c:
        c.execute(f"DELETE FROM {recorder.timeline_table} WHERE originator_id = ? AND originator_version <= ?",
                  (UUID(deal_id).hex, up_to_version))
