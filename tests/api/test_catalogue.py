"""The one catalogue of event types (domain/catalogue.py): every place that lists event types is derived from it, and
every entry's example goes through the whole service: example → request → command → event → response."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from pydantic import TypeAdapter

from domain.catalogue import APPENDABLE, CATALOGUE, EventType
from domain.rules import allowed_events
from domain.values import DealStatus
from service.api import requests
from service.api.event_types import event_type_table
from service.api.examples import DEAL_EXAMPLE, EVENT_EXAMPLES
from service.webhooks.filters import DEAL_TYPES

README = Path(__file__).parents[2] / "README.md"
BODIES = TypeAdapter(requests.DealEventIn)


def posted(entry: EventType) -> dict[str, Any]:
    return {"type": entry.name, **EVENT_EXAMPLES[entry.name]}


def test_every_place_that_lists_event_types_is_derived_from_the_catalogue(client: TestClient) -> None:
    spec = client.get("/openapi.json").json()
    append = spec["paths"]["/deals/{deal_id}/events"]["post"]
    body_schema = append["requestBody"]["content"]["application/json"]
    one_event = next(s for s in body_schema["schema"]["anyOf"] if "discriminator" in s)
    history = spec["paths"]["/deals/{deal_id}/events"]["get"]
    history_filter = next(p for p in history["parameters"] if p["name"] == "type")
    readme = README.read_text()
    reachable = {name for status in DealStatus for name in allowed_events(status)}

    for entry in APPENDABLE:
        name = entry.name
        assert name in requests.REQUEST_MODELS, name  # the request union …
        assert one_event["discriminator"]["mapping"][name].endswith(f"/{entry.event.__name__}In"), name
        assert name in body_schema["examples"], name  # … its examples in /docs
        assert name in reachable, name  # allowed_events, as the deal and the deal list show it
        assert f"`{name}`" in append["description"], name  # the documented list
    for entry in CATALOGUE:
        assert f"deal.{entry.name}" in DEAL_TYPES, entry.name  # webhook event-type filters
        assert entry.name in history_filter["schema"]["anyOf"][0]["items"]["enum"], entry.name  # history's filter
    assert event_type_table() in readme  # the README's table, regenerated with python -m service.api.event_types
    assert len(one_event["oneOf"]) == len(APPENDABLE) == len(CATALOGUE) - 1  # deal_opened is POST /deals


@pytest.mark.parametrize("entry", APPENDABLE, ids=lambda e: e.name)
def test_an_example_becomes_the_command_of_its_entry(entry: EventType) -> None:
    command = requests.to_command(BODIES.validate_python(posted(entry)), datetime.now(UTC))
    assert command == entry.example


# What each example needs recorded before it, on the deal POST /deals opens with the catalogue's opening (the
# parties US and UA, ratification required): other examples by their type, or bodies of their own.
BESSENT = {"type": "representative_designated", "party_id": "US", "name": "Scott Bessent",
           "title": "Secretary of the Treasury", "authority": ["sign"]}
UA_SIGNS = {"type": "signature_added", "party_id": "UA", "occurred_at": "2025-05-01T01:30:00+03:00"}
TENDERED = ["proposal_tendered"]
ACCEPTED = [*TENDERED, "proposal_accepted"]
SIGNED = [*ACCEPTED, BESSENT, "signature_added", UA_SIGNS]
RATIFIED = [*SIGNED, "ratification_submitted", "ratified"]
WITH_A_MEETING = ["representative_designated", *TENDERED, "meeting_held"]  # versions 4, 5, 6
BEFORE: dict[str, list[Any]] = {
    "role_revoked": ["party_joined"],
    "meeting_held": TENDERED,
    "negotiation_opened": TENDERED,
    "signing_withheld": ["representative_designated", *TENDERED],
    "signing_authorized": ["representative_designated", *TENDERED, "signing_withheld"],
    "condition_satisfied": ["condition_raised"],
    "condition_waived": ["condition_raised"],
    "condition_withdrawn": ["condition_raised"],
    "condition_rejected": ["condition_raised"],
    "statement_recorded": WITH_A_MEETING,
    "counter_proposal_announced": TENDERED,
    "counter_proposal_abandoned": [*TENDERED, "counter_proposal_announced"],
    "proposal_accepted": TENDERED,
    "proposal_rejected": TENDERED,
    "proposal_withdrawn": TENDERED,
    "signature_added": [*ACCEPTED, BESSENT],
    "signature_process_voided": ACCEPTED,
    "ratification_submitted": SIGNED,
    "ratified": [*SIGNED, "ratification_submitted"],
    "ratification_refused": [*SIGNED, "ratification_submitted"],
    "entered_into_force": RATIFIED,
    "deal_terminated": [*RATIFIED, "entered_into_force"],
    "intent_not_to_be_bound_declared": SIGNED,
    "deadline_passed": [*TENDERED, "deadline_set"],
    "source_attached": WITH_A_MEETING,
    "event_corrected": [*WITH_A_MEETING, "condition_raised", "statement_recorded"],  # the statement is version 8
    "event_retracted": [*WITH_A_MEETING, "statement_recorded", "deadline_set", "condition_raised"],  # condition: 9
}


def matches(stored: Any, sent: Any) -> bool:
    """What was stored says what was sent: the same values (times as instants), objects with the defaults filled."""
    if isinstance(sent, dict):
        return isinstance(stored, dict) and all(matches(stored.get(k), v) for k, v in sent.items())
    if isinstance(sent, list):
        return isinstance(stored, list) and len(stored) == len(sent) and all(map(matches, stored, sent))
    if isinstance(sent, str) and isinstance(stored, str) and sent != stored:
        try:
            return datetime.fromisoformat(stored) == datetime.fromisoformat(sent)
        except ValueError:
            return False
    return bool(stored == sent)


@pytest.mark.parametrize("entry", APPENDABLE, ids=lambda e: e.name)
def test_every_example_round_trips_through_the_service(client: TestClient, entry: EventType) -> None:
    opened = client.post("/deals", json=DEAL_EXAMPLE)
    assert opened.status_code == 201, opened.text
    events_url = f"/deals/{opened.json()['deal_id']}/events"
    for before in BEFORE.get(entry.name, []):
        body = before if isinstance(before, dict) else {"type": before, **EVENT_EXAMPLES[before]}
        answer = client.post(events_url, json=body)
        assert answer.status_code == 201, (body, answer.text)

    answer = client.post(events_url, json=posted(entry))

    assert answer.status_code == 201, answer.text
    [event] = answer.json()["events"]
    assert event["type"] == entry.name
    for field, value in EVENT_EXAMPLES[entry.name].items():
        stored = event["occurred_at"] if field == "occurred_at" else event["data"][field]
        assert matches(stored, value), (field, stored, value)
    [read] = client.get(events_url, params={"after_version": event["version"] - 1}).json()["items"]
    assert read == event  # read back from the log as it was answered
