"""Blocking conditions and signing authority through the API, on SQLite and on PostgreSQL: the refusals, what the
deal says while it is held up, and the rule as it stood before a correction (time travel)."""

from __future__ import annotations

from typing import Any

from fastapi.testclient import TestClient

from tests.api.helpers import history, open_deal, post_events, tender

PROBLEM = "application/problem+json"
AT = "2025-02-15T12:00:00+01:00"


def condition(blocking: bool | None, condition_id: str = "c1") -> dict[str, Any]:
    body = {"type": "condition_raised", "condition_id": condition_id, "raised_by": "UA",
            "kind": "security_guarantee", "text": "security guarantees tied to investment", "occurred_at": AT}
    return body if blocking is None else {**body, "blocking": blocking}


def accept() -> dict[str, Any]:
    return {"type": "proposal_accepted", "by_party": "UA", "occurred_at": "2025-02-16T12:00:00+01:00"}


def proposed_with(client: TestClient, *events: dict[str, Any]) -> str:
    deal_id = open_deal(client)["deal_id"]
    assert post_events(client, deal_id, [tender(), *events]).status_code == 201
    return deal_id


def test_accepting_while_a_blocking_condition_is_open_is_409_naming_it(client: TestClient) -> None:
    deal_id = proposed_with(client, condition(True))

    response = post_events(client, deal_id, accept())

    assert response.status_code == 409
    assert response.headers["content-type"] == PROBLEM
    problem = response.json()
    assert problem["code"] == "blocking_conditions_open"
    assert problem["attempted_event"] == "proposal_accepted"
    assert [(c["condition_id"], c["raised_by"]) for c in problem["blocking_conditions"]] == [("c1", "UA")]
    assert "c1 (raised by UA)" in problem["detail"]
    deal = client.get(f"/deals/{deal_id}").json()
    assert deal["status"] == "proposed"
    assert "proposal_accepted" not in deal["allowed_events"]
    assert "acceptance is held up by blocking conditions c1 (raised by UA)" in deal["awaiting"]["reason"]


def test_a_condition_raised_without_the_flag_blocks(client: TestClient) -> None:
    deal_id = proposed_with(client, condition(None))

    assert post_events(client, deal_id, accept()).json()["code"] == "blocking_conditions_open"


def test_a_non_blocking_condition_holds_nothing_up(client: TestClient) -> None:
    deal_id = proposed_with(client, condition(False))

    assert "proposal_accepted" in client.get(f"/deals/{deal_id}").json()["allowed_events"]
    assert post_events(client, deal_id, accept()).status_code == 201


def test_signing_and_ratifying_wait_until_the_condition_is_waived(client: TestClient) -> None:
    deal_id = proposed_with(client, accept(), condition(True))  # raised once the text was accepted
    sign = {"type": "signature_added", "party_id": "US", "occurred_at": "2025-02-17T12:00:00+01:00"}

    refused = post_events(client, deal_id, sign)
    assert (refused.status_code, refused.json()["code"]) == (409, "blocking_conditions_open")
    assert "signature_added" not in client.get(f"/deals/{deal_id}").json()["allowed_events"]

    waived = {"type": "condition_waived", "condition_id": "c1", "by_party": "UA", "occurred_at": AT}
    assert post_events(client, deal_id, [waived, sign]).status_code == 201
    assert client.get(f"/deals/{deal_id}").json()["signatures"][0]["party_id"] == "US"


def test_a_correction_of_blocking_counts_from_the_correction_on(client: TestClient) -> None:
    deal_id = proposed_with(client, condition(True))
    raised = history(client, deal_id)[-1]
    correction = {"type": "event_corrected", "target_version": raised["version"],
                  "corrected_fields": {"blocking": False}, "reason": "Ukraine does not make it a precondition"}

    corrected = post_events(client, deal_id, correction)
    assert corrected.status_code == 201, corrected.text
    assert post_events(client, deal_id, accept()).status_code == 201

    before = client.get(f"/deals/{deal_id}", params={"version": raised["version"]}).json()
    assert "proposal_accepted" not in before["allowed_events"] and "held up" in before["awaiting"]["reason"]
    known_before = client.get(f"/deals/{deal_id}", params={"known_at": raised["recorded_at"]}).json()
    assert known_before["version"] == raised["version"]
    assert "proposal_accepted" not in known_before["allowed_events"]
    after = client.get(f"/deals/{deal_id}", params={"version": corrected.json()["version"]}).json()
    assert "proposal_accepted" in after["allowed_events"] and "held up" not in after["awaiting"]["reason"]


# ---- signing authority ---------------------------------------------------------------------------------------


def signing(client: TestClient, *designations: dict[str, Any]) -> str:
    return proposed_with(client, accept(), *designations)


def designation(party_id: str, name: str, authority: list[str], office: str | None = None) -> dict[str, Any]:
    body = {"type": "representative_designated", "party_id": party_id, "name": name, "authority": authority,
            "occurred_at": AT}
    return body if office is None else {**body, "office": office}


def signature(party_id: str, signatory: str) -> dict[str, Any]:
    return {"type": "signature_added", "party_id": party_id, "signatory": signatory,
            "occurred_at": "2025-02-17T12:00:00+01:00"}


def test_an_envoy_designated_for_another_party_cannot_sign_for_this_one(client: TestClient) -> None:
    deal_id = signing(client, designation("US", "Scott Bessent", ["negotiate", "sign"]))

    response = post_events(client, deal_id, signature("UA", "Scott Bessent"))

    assert response.status_code == 422
    assert response.headers["content-type"] == PROBLEM
    problem = response.json()
    assert (problem["code"], problem["person"], problem["party_id"]) == ("no_signing_authority", "Scott Bessent", "UA")
    assert "designated for US, not for UA" in problem["detail"]
    assert client.get(f"/deals/{deal_id}").json()["signatures"] == []


def test_someone_never_designated_cannot_sign(client: TestClient) -> None:
    deal_id = signing(client)

    response = post_events(client, deal_id, signature("UA", "JD Vance"))

    assert (response.status_code, response.json()["code"]) == (422, "no_signing_authority")


def test_a_head_of_state_signs_without_full_powers_and_a_representative_with_them(client: TestClient) -> None:
    deal_id = signing(client, designation("UA", "Volodymyr Zelenskyy", [], "head_of_state"),
                      designation("US", "Scott Bessent", ["negotiate", "sign"]))

    response = post_events(client, deal_id, [signature("UA", "Volodymyr Zelenskyy"), signature("US", "Scott Bessent")])

    assert response.status_code == 201, response.text
    deal = client.get(f"/deals/{deal_id}").json()
    assert deal["status"] == "signed"
    ukraine = next(p for p in deal["parties"] if p["party_id"] == "UA")
    assert ukraine["representatives"] == [
        {"name": "Volodymyr Zelenskyy", "title": None, "authority": [], "office": "head_of_state"}]
