"""The seed story — the US–Ukraine minerals proposal at the Munich Security Conference — as API requests."""

from __future__ import annotations

from typing import Any

import httpx

AP = {
    "url": "https://apnews.com/article/zelenskyy-vance-munich-minerals-ukraine-security-guarantees",
    "publisher": "Associated Press",
    "published_at": "2025-02-16T10:00:00+01:00",
}

OPENING: dict[str, Any] = {
    "title": "US–Ukraine minerals agreement",
    "summary": "US access to Ukraine's rare earth minerals as compensation for past support and payment for future aid",
    "parties": [
        {"party_id": "US", "name": "United States", "kind": "state", "roles": ["proposer", "signatory"]},
        {
            "party_id": "UA",
            "name": "Ukraine",
            "kind": "state",
            "roles": ["counterparty", "authorizer", "signatory", "ratifier"],
        },
    ],
    "requires_ratification": True,
    "tags": ["critical minerals", "security guarantees"],
    "occurred_at": "2025-02-12T09:00:00+02:00",
    "sources": [AP],
}

# Versions: 1 opened, 2-3 parties joined, then these events from version 4 on.
STORY: list[dict[str, Any]] = [
    {
        "type": "representative_designated",
        "party_id": "UA",
        "name": "Volodymyr Zelenskyy",
        "title": "President of Ukraine",
        "authority": ["negotiate", "sign", "authorize"],
        "office": "head_of_state",
        "occurred_at": "2025-02-12T09:00:00+02:00",
    },
    {
        "type": "representative_designated",
        "party_id": "US",
        "name": "Scott Bessent",
        "title": "Secretary of the Treasury",
        "authority": ["negotiate", "sign"],
        "occurred_at": "2025-02-12T09:00:00+02:00",
    },
    {
        "type": "proposal_tendered",
        "proposal_id": "v1",
        "tendered_by": "US",
        "tendered_to": ["UA"],
        "terms": [
            "US access to Ukraine's rare earth minerals as compensation for past US support",
            "minerals as payment for future assistance",
            "no concrete security guarantees for Ukraine",
        ],
        "delivered_by": "Scott Bessent",
        "venue": "Kyiv",
        "occurred_at": "2025-02-12T15:00:00+02:00",
        "sources": [AP],
    },
    {
        "type": "meeting_held",
        "participants": ["Volodymyr Zelenskyy", "JD Vance"],
        "venue": "Munich Security Conference",
        "topic": "the minerals proposal; described as very good and substantive",
        "proposal_id": "v1",
        "occurred_at": "2025-02-14T11:00:00+01:00",
        "sources": [AP],
    },
    {
        "type": "signing_withheld",
        "by_party": "UA",
        "authorizer": "Volodymyr Zelenskyy",
        "signatories_affected": ["Ukrainian ministers"],
        "proposal_id": "v1",
        "reason_codes": ["no_security_guarantees", "favors_us_interests"],
        "reason_text": "I didn't let the ministers sign a relevant agreement because in my view it is not ready to "
        "protect us, our interest.",
        "occurred_at": "2025-02-15T12:00:00+01:00",
        "sources": [AP],
    },
    {
        "type": "condition_raised",
        "condition_id": "c1",
        "raised_by": "UA",
        "kind": "security_guarantee",
        "text": "For me, it is crucial to connect some kind of security guarantees with investment.",
        "blocking": True,
        "proposal_id": "v1",
        "occurred_at": "2025-02-15T12:00:00+01:00",
        "sources": [AP],
    },
    {
        "type": "statement_recorded",
        "statement_id": "s1",
        "speaker": {"title": "senior White House official", "party_id": "US"},
        "quote": "short-sighted",
        "paraphrase": "Zelenskyy's rejection of the agreement was short-sighted",
        "stance": "criticize",
        "about_version": 8,
        "cameo_code": "111",
        "occurred_at": "2025-02-15T18:00:00+01:00",
        "sources": [AP],
    },
    {
        "type": "statement_recorded",
        "statement_id": "s2",
        "speaker": {"title": "former senior official", "anonymous": True},
        "quote": "a colonial agreement",
        "paraphrase": "a colonial agreement that Zelenskyy could not endorse",
        "stance": "oppose",
        "about_version": 6,
        "occurred_at": "2025-02-15T18:00:00+01:00",
        "sources": [AP],
    },
    {
        "type": "condition_raised",
        "condition_id": "c2",
        "raised_by": "UA",
        "kind": "legal_compliance",
        "text": "Any agreement must adhere strictly to Ukrainian law: "
        "subsoil belongs to Ukrainians under the Constitution.",
        "legal_basis": "Constitution of Ukraine, Article 13",
        "blocking": True,
        "proposal_id": "v1",
        "occurred_at": "2025-02-15T19:00:00+01:00",
        "sources": [AP],
    },
    {
        "type": "counter_proposal_announced",
        "by_party": "UA",
        "counter_to": "v1",
        "summary": "a counter-proposal is in the works and will be presented to the US soon",
        "occurred_at": "2025-02-15T20:00:00+01:00",
        "sources": [AP],
    },
]


def record_story(client: httpx.Client) -> str:
    """Post the story through the public API; returns the new deal's id."""
    response = client.post("/deals", json=OPENING)
    response.raise_for_status()
    deal_id = response.json()["deal_id"]
    for event in STORY:
        client.post(f"/deals/{deal_id}/events", json=event).raise_for_status()
    return deal_id
