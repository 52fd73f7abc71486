# ruff: noqa: E501
"""Response examples for the OpenAPI document, recorded from the Munich story (service/entrypoints/demo.py)."""

from typing import Any

DEAL_OPENED: dict[str, Any] = {
    "deal_id": "3f926630-fc69-4251-b7b1-c32bf82305ee",
    "version": 3,
    "title": "US–Ukraine minerals agreement",
    "summary": "US access to Ukraine's rare earth minerals as compensation for past support and payment for future aid",
    "status": "draft",
    "requires_ratification": True,
    "tags": ["critical minerals", "security guarantees"],
    "predecessor_deal_id": None,
    "awaiting": {"party_ids": ["US"], "since": "2025-02-12T09:00:00+02:00", "reason": "drafting the first proposal"},
    "allowed_events": [
        "deal_withdrawn",
        "proposal_tendered",
        "condition_raised",
        "condition_rejected",
        "condition_satisfied",
        "condition_waived",
        "condition_withdrawn",
        "deadline_set",
        "event_corrected",
        "event_retracted",
        "meeting_held",
        "party_joined",
        "representative_designated",
        "role_assigned",
        "role_revoked",
        "source_attached",
        "statement_recorded",
    ],
    "parties": [
        {
            "party_id": "US",
            "name": "United States",
            "kind": "state",
            "roles": ["proposer", "signatory"],
            "representatives": [],
        },
        {
            "party_id": "UA",
            "name": "Ukraine",
            "kind": "state",
            "roles": ["counterparty", "authorizer", "signatory", "ratifier"],
            "representatives": [],
        },
    ],
    "proposal_on_table": None,
    "accepted_proposal_id": None,
    "proposals": [],
    "conditions": [],
    "open_conditions": [],
    "statements": [],
    "meetings": [],
    "signatures": [],
    "ratifications": [],
    "deadline_at": None,
    "corrections": {},
    "created_at": "2026-11-27T10:02:02.553961Z",
    "updated_at": "2026-11-27T10:02:02.554708Z",
}

DEAL: dict[str, Any] = {
    "deal_id": "3f926630-fc69-4251-b7b1-c32bf82305ee",
    "version": 13,
    "title": "US–Ukraine minerals agreement",
    "summary": "US access to Ukraine's rare earth minerals as compensation for past support and payment for future aid",
    "status": "counter_proposal_pending",
    "requires_ratification": True,
    "tags": ["critical minerals", "security guarantees"],
    "predecessor_deal_id": None,
    "awaiting": {
        "party_ids": ["UA"],
        "since": "2025-02-15T20:00:00+01:00",
        "reason": "to present the announced counter-proposal",
    },
    "allowed_events": [
        "counter_proposal_abandoned",
        "deadline_passed",
        "deal_withdrawn",
        "negotiation_opened",
        "proposal_tendered",
        "condition_raised",
        "condition_rejected",
        "condition_satisfied",
        "condition_waived",
        "condition_withdrawn",
        "deadline_set",
        "event_corrected",
        "event_retracted",
        "meeting_held",
        "party_joined",
        "representative_designated",
        "role_assigned",
        "role_revoked",
        "source_attached",
        "statement_recorded",
    ],
    "parties": [
        {
            "party_id": "US",
            "name": "United States",
            "kind": "state",
            "roles": ["proposer", "signatory"],
            "representatives": [
                {"name": "Scott Bessent", "title": "Secretary of the Treasury", "authority": ["negotiate", "sign"],
                 "office": None}
            ],
        },
        {
            "party_id": "UA",
            "name": "Ukraine",
            "kind": "state",
            "roles": ["counterparty", "authorizer", "signatory", "ratifier"],
            "representatives": [
                {
                    "name": "Volodymyr Zelenskyy",
                    "title": "President of Ukraine",
                    "authority": ["negotiate", "sign", "authorize"],
                    "office": "head_of_state",
                }
            ],
        },
    ],
    "proposal_on_table": "v1",
    "accepted_proposal_id": None,
    "proposals": [
        {
            "proposal_id": "v1",
            "tendered_by": "US",
            "tendered_to": ["UA"],
            "terms": [
                "US access to Ukraine's rare earth minerals as compensation for past US support",
                "minerals as payment for future assistance",
                "no concrete security guarantees for Ukraine",
            ],
            "tendered_at": "2025-02-12T15:00:00+02:00",
            "summary": None,
            "delivered_by": "Scott Bessent",
            "venue": "Kyiv",
            "counter_to": None,
            "supersedes": None,
            "respond_by": None,
            "document_sha256": None,
        }
    ],
    "conditions": [
        {
            "condition_id": "c1",
            "raised_by": "UA",
            "kind": "security_guarantee",
            "text": "For me, it is crucial to connect some kind of security guarantees with investment.",
            "blocking": True,
            "raised_at": "2025-02-15T12:00:00+01:00",
            "status": "open",
            "legal_basis": None,
            "proposal_id": "v1",
            "resolved_at": None,
            "resolved_by": None,
            "resolution_note": None,
        },
        {
            "condition_id": "c2",
            "raised_by": "UA",
            "kind": "legal_compliance",
            "text": "Any agreement must adhere strictly to Ukrainian law: subsoil belongs to Ukrainians under the Constitution.",
            "blocking": True,
            "raised_at": "2025-02-15T19:00:00+01:00",
            "status": "open",
            "legal_basis": "Constitution of Ukraine, Article 13",
            "proposal_id": "v1",
            "resolved_at": None,
            "resolved_by": None,
            "resolution_note": None,
        },
    ],
    "open_conditions": ["c1", "c2"],
    "statements": [
        {
            "statement_id": "s1",
            "speaker": {"title": "senior White House official", "name": None, "party_id": "US", "anonymous": False},
            "quote": "short-sighted",
            "stance": "criticize",
            "made_at": "2025-02-15T18:00:00+01:00",
            "paraphrase": "Zelenskyy's rejection of the agreement was short-sighted",
            "about_version": 8,
            "cameo_code": "111",
            "sources": [
                {
                    "url": "https://apnews.com/article/zelenskyy-vance-munich-minerals-ukraine-security-guarantees",
                    "publisher": "Associated Press",
                    "published_at": "2025-02-16T10:00:00+01:00",
                }
            ],
            "retracted": False,
        }
    ],
    "meetings": [
        {
            "participants": ["Volodymyr Zelenskyy", "JD Vance"],
            "held_at": "2025-02-14T11:00:00+01:00",
            "venue": "Munich Security Conference",
            "topic": "the minerals proposal; described as very good and substantive",
            "proposal_id": "v1",
        }
    ],
    "signatures": [],
    "ratifications": [],
    "deadline_at": None,
    "corrections": {},
    "created_at": "2026-11-27T10:02:02.553961Z",
    "updated_at": "2026-11-27T10:02:02.589616Z",
}

RECORDED: dict[str, Any] = {
    "deal_id": "3f926630-fc69-4251-b7b1-c32bf82305ee",
    "version": 13,
    "position": 13,
    "events": [
        {
            "event_id": "3df1f668-7ca0-5924-b75d-d6b461648e92",
            "deal_id": "3f926630-fc69-4251-b7b1-c32bf82305ee",
            "version": 13,
            "position": 13,
            "type": "counter_proposal_announced",
            "occurred_at": "2025-02-15T20:00:00+01:00",
            "recorded_at": "2026-11-27T10:02:02.589616Z",
            "data": {
                "occurred_at": "2025-02-15T20:00:00+01:00",
                "sources": [
                    {
                        "url": "https://apnews.com/article/zelenskyy-vance-munich-minerals-ukraine-security-guarantees",
                        "publisher": "Associated Press",
                        "published_at": "2025-02-16T10:00:00+01:00",
                    }
                ],
                "by_party": "UA",
                "counter_to": "v1",
                "expected_by": None,
                "summary": "a counter-proposal is in the works and will be presented to the US soon",
            },
        }
    ],
}

EVENT_PAGE: dict[str, Any] = {
    "items": [
        {
            "event_id": "c4a08899-541b-50d9-8636-a0e38b1242e9",
            "deal_id": "3f926630-fc69-4251-b7b1-c32bf82305ee",
            "version": 1,
            "position": 1,
            "type": "deal_opened",
            "occurred_at": "2025-02-12T09:00:00+02:00",
            "recorded_at": "2026-11-27T10:02:02.553961Z",
            "data": {
                "occurred_at": "2025-02-12T09:00:00+02:00",
                "sources": [
                    {
                        "url": "https://apnews.com/article/zelenskyy-vance-munich-minerals-ukraine-security-guarantees",
                        "publisher": "Associated Press",
                        "published_at": "2025-02-16T10:00:00+01:00",
                    }
                ],
                "title": "US–Ukraine minerals agreement",
                "summary": "US access to Ukraine's rare earth minerals as compensation for past support and payment for future aid",
                "requires_ratification": True,
                "tags": ["critical minerals", "security guarantees"],
                "predecessor_deal_id": None,
            },
        },
        {
            "event_id": "cc35b833-3707-5ee6-ad1a-eff88574544d",
            "deal_id": "3f926630-fc69-4251-b7b1-c32bf82305ee",
            "version": 2,
            "position": 2,
            "type": "party_joined",
            "occurred_at": "2025-02-12T09:00:00+02:00",
            "recorded_at": "2026-11-27T10:02:02.554669Z",
            "data": {
                "occurred_at": "2025-02-12T09:00:00+02:00",
                "sources": [
                    {
                        "url": "https://apnews.com/article/zelenskyy-vance-munich-minerals-ukraine-security-guarantees",
                        "publisher": "Associated Press",
                        "published_at": "2025-02-16T10:00:00+01:00",
                    }
                ],
                "party_id": "US",
                "name": "United States",
                "kind": "state",
                "roles": ["proposer", "signatory"],
            },
        },
    ],
    "next_after_version": 2,
    "next_cursor": "2",
}


def example(status: int, value: dict[str, Any]) -> dict[int | str, dict[str, Any]]:
    """A success response's example, for a route's `responses=`."""
    return {status: {"content": {"application/json": {"example": value}}}}
