"""Schema evolution: a ConditionRaised stored in its first shape (no `blocking`, no class_version) still reads, as a
blocking condition, through the deal and its history; new ones are stored as version 2."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from uuid import UUID

from eventsourcing.persistence import StoredEvent
from eventsourcing.utils import get_topic
from fastapi.testclient import TestClient

from domain.events import ConditionRaised, RepresentativeDesignated
from domain.values import Authority, ConditionKind
from tests.api.helpers import history, open_deal


def v1_condition_raised(app: object, deal_id: str, version: int) -> StoredEvent:
    """The stored form ConditionRaised had before `blocking` existed, written as the transcoder writes a dict."""
    moment = datetime(2025, 2, 14, 10, 0, tzinfo=UTC)
    state = {
        "timestamp": moment,
        "occurred_at": moment,
        "sources": [],
        "condition_id": "guarantees",
        "raised_by": "UA",
        "kind": ConditionKind.SECURITY_GUARANTEE,
        "text": "security guarantees first",
        "legal_basis": None,
        "proposal_id": None,
    }
    return StoredEvent(
        originator_id=UUID(deal_id),
        originator_version=version,
        topic=get_topic(ConditionRaised),
        state=app.mapper.transcoder.encode(state),  # type: ignore[attr-defined]
    )


def test_a_version_1_condition_reads_as_blocking(client: TestClient) -> None:
    deal = open_deal(client)
    app = client.app.state.deals  # type: ignore[attr-defined]
    app.recorder.insert_events([v1_condition_raised(app, deal["deal_id"], deal["version"] + 1)])

    read = client.get(f"/deals/{deal['deal_id']}").json()
    assert read["version"] == deal["version"] + 1
    assert [(c["condition_id"], c["blocking"]) for c in read["conditions"]] == [("guarantees", True)]
    assert read["open_conditions"] == ["guarantees"]
    raised = history(client, deal["deal_id"])[-1]
    assert (raised["type"], raised["data"]["blocking"]) == ("condition_raised", True)


def test_new_conditions_are_stored_as_version_2(client: TestClient) -> None:
    deal = open_deal(client)
    raised = client.post(f"/deals/{deal['deal_id']}/events", json={
        "type": "condition_raised", "condition_id": "c1", "raised_by": "UA", "text": "t", "blocking": False})
    assert raised.status_code == 201, raised.text
    app = client.app.state.deals  # type: ignore[attr-defined]
    stored = app.recorder.select_events(UUID(deal["deal_id"]), gt=deal["version"])[0]
    assert json.loads(stored.state)["class_version"] == 2
    assert client.get(f"/deals/{deal['deal_id']}").json()["conditions"][0]["blocking"] is False


def test_a_version_1_designation_reads_as_holding_no_office(client: TestClient) -> None:
    deal = open_deal(client)
    app = client.app.state.deals  # type: ignore[attr-defined]
    moment = datetime(2025, 2, 12, 9, 0, tzinfo=UTC)
    state = {"timestamp": moment, "occurred_at": moment, "sources": [], "party_id": "UA",
             "name": "Volodymyr Zelenskyy", "title": "President of Ukraine", "authority": [Authority.AUTHORIZE]}
    app.recorder.insert_events([StoredEvent(
        originator_id=UUID(deal["deal_id"]), originator_version=deal["version"] + 1,
        topic=get_topic(RepresentativeDesignated), state=app.mapper.transcoder.encode(state))])

    ukraine = next(p for p in client.get(f"/deals/{deal['deal_id']}").json()["parties"] if p["party_id"] == "UA")
    assert ukraine["representatives"] == [
        {"name": "Volodymyr Zelenskyy", "title": "President of Ukraine", "authority": ["authorize"], "office": None}]
    assert history(client, deal["deal_id"])[-1]["data"]["office"] is None
