"""The seed story (`deals demo`) and its public sequel told through the API, on SQLite and on PostgreSQL: Ukraine's
blocking conditions hold up acceptance and signature until they are met or waived, and the US envoy cannot sign
for Ukraine. The sequel follows domain.md §4 "beyond the article"."""

from __future__ import annotations

from typing import Any

from fastapi.testclient import TestClient

from service.entrypoints.demo import record_story
from tests.api.helpers import post_events

AXIOS = {"url": "https://babel.ua/en/news/115604-axios-the-us-hands-ukraine-improved-minerals-deal"}
KYIV_INDEPENDENT = {"url": "https://kyivindependent.com/the-full-text-of-the-us-ukraine-minerals-agreement"}
PRAVDA = {"url": "https://www.pravda.com.ua/eng/news/2025/05/8/7511255/", "publisher": "Ukrainska Pravda"}

IMPROVED_DRAFT = {"type": "proposal_tendered", "proposal_id": "v2", "tendered_by": "US", "tendered_to": ["UA"],
                  "terms": ["a joint reconstruction investment fund", "no explicit US security guarantees"],
                  "summary": "the improved draft", "occurred_at": "2025-02-20T12:00:00+02:00", "sources": [AXIOS]}
ACCEPTANCE = {"type": "proposal_accepted", "by_party": "UA", "proposal_id": "v2",
              "occurred_at": "2025-02-26T12:00:00+02:00"}
# 28 February: Zelenskyy left the White House without signing.
NOT_SIGNED_IN_WASHINGTON = {"type": "signing_withheld", "by_party": "UA", "authorizer": "Volodymyr Zelenskyy",
                            "proposal_id": "v2", "reason_codes": ["no_security_guarantees"],
                            "occurred_at": "2025-02-28T14:00:00-05:00"}
# 30 April: the government, chaired by the prime minister, lets the first deputy prime minister sign.
AUTHORIZATION = [
    {"type": "representative_designated", "party_id": "UA", "name": "Denys Shmyhal", "title": "Prime Minister",
     "authority": ["authorize"], "office": "head_of_government", "occurred_at": "2025-04-30T10:00:00+03:00"},
    {"type": "representative_designated", "party_id": "UA", "name": "Yulia Svyrydenko",
     "title": "First Deputy Prime Minister", "authority": ["sign"], "occurred_at": "2025-04-30T10:00:00+03:00"},
    {"type": "signing_authorized", "by_party": "UA", "authorizer": "Denys Shmyhal", "proposal_id": "v2",
     "signatories": ["Yulia Svyrydenko"], "occurred_at": "2025-04-30T12:00:00+03:00"},
    {"type": "condition_satisfied", "condition_id": "c2", "by_party": "UA",
     "note": "the agreement leaves the subsoil in Ukraine's ownership", "occurred_at": "2025-04-30T12:00:00+03:00",
     "sources": [KYIV_INDEPENDENT]},
]
WAIVER = {"type": "condition_waived", "condition_id": "c1", "by_party": "UA",
          "note": "security guarantees are absent from the signed text", "occurred_at": "2025-04-30T17:00:00-04:00",
          "sources": [KYIV_INDEPENDENT]}
# One signing ceremony in Washington: 30 April there, already 1 May in Kyiv.
SIGNED_AT = "2025-04-30T18:30:00-04:00"


def signature(party_id: str, signatory: str) -> dict[str, Any]:
    return {"type": "signature_added", "party_id": party_id, "signatory": signatory, "place": "Washington",
            "occurred_at": SIGNED_AT, "sources": [KYIV_INDEPENDENT]}


def refused(client: TestClient, deal_id: str, event: dict[str, Any], status: int, code: str) -> dict[str, Any]:
    response = post_events(client, deal_id, event)
    assert (response.status_code, response.json()["code"]) == (status, code), response.text
    return response.json()


def recorded(client: TestClient, deal_id: str, events: Any) -> dict[str, Any]:
    response = post_events(client, deal_id, events)
    assert response.status_code == 201, response.text
    return client.get(f"/deals/{deal_id}").json()


def test_the_sequel_refuses_what_the_open_conditions_and_a_foreign_envoy_cannot_do(client: TestClient) -> None:
    deal_id = record_story(client)
    deal = recorded(client, deal_id, IMPROVED_DRAFT)
    assert deal["status"] == "proposed" and "proposal_accepted" not in deal["allowed_events"]

    # Ukraine cannot accept the improved draft while its own conditions stand.
    problem = refused(client, deal_id, ACCEPTANCE, 409, "blocking_conditions_open")
    assert [(c["condition_id"], c["raised_by"], c["kind"]) for c in problem["blocking_conditions"]] == [
        ("c1", "UA", "security_guarantee"), ("c2", "UA", "legal_compliance")]

    deal = recorded(client, deal_id, [NOT_SIGNED_IN_WASHINGTON, *AUTHORIZATION])
    assert deal["status"] == "signature_pending" and deal["open_conditions"] == ["c1"]
    assert "signature_added" not in deal["allowed_events"]
    assert deal["awaiting"]["reason"] == "to sign; signature is held up by blocking conditions c1 (raised by UA)"

    # Ukraine's security-guarantee condition is still open: no one signs.
    problem = refused(client, deal_id, signature("US", "Scott Bessent"), 409, "blocking_conditions_open")
    assert [(c["condition_id"], c["raised_by"]) for c in problem["blocking_conditions"]] == [("c1", "UA")]

    deal = recorded(client, deal_id, WAIVER)
    assert "signature_added" in deal["allowed_events"] and deal["awaiting"]["reason"] == "to sign"

    # The US envoy has signing powers, for the United States only.
    problem = refused(client, deal_id, signature("UA", "Scott Bessent"), 422, "no_signing_authority")
    assert (problem["person"], problem["party_id"]) == ("Scott Bessent", "UA")
    assert client.get(f"/deals/{deal_id}").json()["signatures"] == []

    deal = recorded(client, deal_id, [signature("US", "Scott Bessent"), signature("UA", "Yulia Svyrydenko")])
    assert deal["status"] == "signed"
    assert [(s["party_id"], s["signatory"]) for s in deal["signatures"]] == [
        ("US", "Scott Bessent"), ("UA", "Yulia Svyrydenko")]

    deal = recorded(client, deal_id, [
        {"type": "ratification_submitted", "party_id": "UA", "body": "Verkhovna Rada",
         "occurred_at": "2025-05-02T10:00:00+03:00"},
        {"type": "ratified", "party_id": "UA", "body": "Verkhovna Rada", "votes_for": 338,
         "occurred_at": "2025-05-08T12:00:00+03:00", "sources": [PRAVDA]},
    ])
    assert deal["status"] == "ratified"
    assert {c["condition_id"]: c["status"] for c in deal["conditions"]} == {"c1": "waived", "c2": "satisfied"}
