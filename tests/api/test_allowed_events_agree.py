"""A deal's `allowed_events`, and the allowed list of a 409 illegal_transition, say exactly what the HTTP API takes,
in every state, on SQLite and on PostgreSQL: first state by state (every event type probed without being
recorded), then along random walks of legal and illegal events (Hypothesis).

DEALS_API_PROPERTY_EXAMPLES / DEALS_API_PROPERTY_STEPS make the walks longer (the defaults keep them to seconds)."""

from __future__ import annotations

import os
from typing import Any

import hypothesis.strategies as st
import pytest
from fastapi.testclient import TestClient
from hypothesis import HealthCheck, given, settings

from domain.rules import DESTINATION, HELD_UP_BY_BLOCKING_CONDITIONS, TERMINAL, allowed_events
from domain.values import DealStatus
from tests.api.walk import EVENT_TYPES, TRANSITION_CODES, Walk, fit, mangle
from tests.domain.deals import PATHS

COMPLETES = {"signature_pending": {"signed"}, "ratification_pending": {"ratified"}}
CASES = [(status, False) for status in DealStatus] + [(s, True) for s in DealStatus if s not in TERMINAL]


def reach(client: TestClient, status: DealStatus) -> Walk:
    """A deal brought into `status` through the API, by the paths the domain tests take."""
    before, event_type = PATHS[status]
    if before is None:
        walk = Walk.open(client)
        walk.read()
        return walk
    walk = reach(client, before)
    while walk.deal["status"] != status.value:
        body, fits = fit(walk, event_type or "")
        assert fits, (status, event_type)
        assert walk.post(body).status_code == 201
        walk.read()
    return walk


def check_refusal(event_type: str, problem: dict[str, Any], before: dict[str, Any]) -> None:
    """A refusal because of the deal's state names the state and what it allows, or the conditions holding it up."""
    assert problem["code"] in TRANSITION_CODES, (event_type, problem)
    assert problem["current_status"] == before["status"] and problem["attempted_event"] == event_type
    if problem["code"] == "illegal_transition":
        assert problem["allowed_events"] == before["allowed_events"]
        return
    assert event_type in HELD_UP_BY_BLOCKING_CONDITIONS
    assert event_type in allowed_events(DealStatus(before["status"]))
    standing = [c["condition_id"] for c in before["conditions"]
                if c["blocking"] and c["status"] in ("open", "rejected")]
    assert [c["condition_id"] for c in problem["blocking_conditions"]] == standing != []


@pytest.mark.parametrize(("status", "blocking"), CASES,
                         ids=[f"{s.value}{'-held-up' if b else ''}" for s, b in CASES])
def test_in_every_state_the_api_takes_exactly_the_allowed_events(
    client: TestClient, status: DealStatus, blocking: bool
) -> None:
    walk = reach(client, status)
    if blocking:
        body, _ = fit(walk, "condition_raised", blocking=True)
        assert walk.post(body).status_code == 201
    deal = walk.read()

    taken: set[str] = set()
    for event_type in EVENT_TYPES:
        body, fits = fit(walk, event_type)
        accepted, problem = walk.probe(body)
        if accepted:
            taken.add(event_type)
        if event_type in deal["allowed_events"]:
            assert problem.get("code") not in TRANSITION_CODES, (event_type, problem)
            assert accepted or not fits, (event_type, problem)
        else:
            assert not accepted, event_type
            check_refusal(event_type, problem, deal)

    assert taken <= set(deal["allowed_events"])
    assert walk.read()["version"] == deal["version"]  # probing recorded nothing
    if blocking and status.value in ("proposed", "signature_pending", "ratification_pending"):
        assert "held up by blocking conditions" in deal["awaiting"]["reason"]
        assert not taken & HELD_UP_BY_BLOCKING_CONDITIONS


# ---- random walks ------------------------------------------------------------------------------------------

STEPS = int(os.environ.get("DEALS_API_PROPERTY_STEPS", 30))
RESOLUTIONS = ["condition_satisfied", "condition_waived", "condition_withdrawn"]
FORWARD = [DealStatus.DRAFT, DealStatus.UNDER_NEGOTIATION, DealStatus.SIGNING_WITHHELD,
           DealStatus.COUNTER_PROPOSAL_PENDING, DealStatus.PROPOSED, DealStatus.SIGNATURE_PENDING, DealStatus.SIGNED,
           DealStatus.RATIFICATION_PENDING, DealStatus.RATIFIED, DealStatus.IN_FORCE, *sorted(TERMINAL, key=str)]


def onward_events(deal: dict[str, Any]) -> list[str]:
    """What takes the deal further: its state changes that do not end it, and, while blocking conditions hold it
    up, closing them (drawn more often, so that walks get deep)."""
    status = DealStatus(deal["status"])
    moves = [e for e in deal["allowed_events"] if e in DESTINATION and DESTINATION[e] not in TERMINAL]
    weighted = [e for e in moves for _ in range(4 if FORWARD.index(DESTINATION[e]) > FORWARD.index(status) else 1)]
    held_up = any(c["blocking"] and c["status"] in ("open", "rejected") for c in deal["conditions"])
    return weighted + (RESOLUTIONS * 3 if held_up else [])


@settings(max_examples=int(os.environ.get("DEALS_API_PROPERTY_EXAMPLES", 15)), deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(requires_ratification=st.booleans(), data=st.data())
def test_random_walks_are_taken_exactly_when_allowed(
    client: TestClient, requires_ratification: bool, data: st.DataObject
) -> None:
    walk = Walk.open(client, requires_ratification)
    before = walk.read()
    for _ in range(STEPS):
        allowed = before["allowed_events"]
        illegal = [e for e in EVENT_TYPES if e not in allowed]
        choice = data.draw(st.sampled_from(["onward"] * 7 + ["illegal"] * 2 + ["allowed"]), label="choice")
        pool = {"onward": onward_events(before), "illegal": illegal, "allowed": allowed}[choice] or allowed
        event_type = data.draw(st.sampled_from(pool), label="event_type")
        blocking = data.draw(st.sampled_from([False, False, True]), label="blocking")
        body, fits = fit(walk, event_type, blocking=blocking)
        how = data.draw(st.sampled_from(["as fits"] * 4 + ["stranger", "backdated", "impostor"]), label="how")

        response = walk.post(mangle(body, how))
        after = walk.read()

        if event_type not in allowed:
            assert response.status_code == 409, response.text
            check_refusal(event_type, response.json(), before)
        else:
            assert response.json().get("code") not in TRANSITION_CODES, response.text
            if fits and how == "as fits":
                assert response.status_code == 201, response.text
        if response.status_code == 201:
            assert after["version"] == before["version"] + 1
            if event_type in DESTINATION:
                target = DESTINATION[event_type].value
                assert after["status"] in {target, *COMPLETES.get(target, ())}
            else:
                assert after["status"] == before["status"]
        else:
            assert (after["version"], after["status"]) == (before["version"], before["status"])
        before = after
