"""Example bodies for the OpenAPI document: one per event type, taken from the Munich minerals story."""

from __future__ import annotations

from typing import Any

AP = {
    "url": "https://apnews.com/article/zelenskyy-minerals-munich",
    "publisher": "Associated Press",
    "published_at": "2025-02-16T10:00:00+01:00",
}

EVENT_EXAMPLES: dict[str, dict[str, Any]] = {
    "party_joined": {"party_id": "EU", "name": "European Union", "kind": "organization", "roles": ["observer"]},
    "role_assigned": {"party_id": "UA", "role": "authorizer"},
    "role_revoked": {"party_id": "EU", "role": "observer"},
    "representative_designated": {
        "party_id": "UA",
        "name": "Volodymyr Zelenskyy",
        "title": "President of Ukraine",
        "authority": ["negotiate", "sign", "authorize"],
        "office": "head_of_state",
    },
    "proposal_tendered": {
        "proposal_id": "v1",
        "tendered_by": "US",
        "tendered_to": ["UA"],
        "terms": ["US access to Ukraine's rare earth minerals as compensation for past support"],
        "delivered_by": "Scott Bessent",
        "venue": "Kyiv",
        "occurred_at": "2025-02-12T15:00:00+02:00",
        "sources": [AP],
    },
    "meeting_held": {
        "participants": ["Volodymyr Zelenskyy", "JD Vance"],
        "venue": "Munich Security Conference",
        "topic": "minerals proposal",
        "proposal_id": "v1",
        "occurred_at": "2025-02-14T11:00:00+01:00",
    },
    "negotiation_opened": {"proposal_id": "v1", "format": "working groups"},
    "signing_withheld": {
        "by_party": "UA",
        "authorizer": "Volodymyr Zelenskyy",
        "signatories_affected": ["ministers"],
        "reason_codes": ["no_security_guarantees", "favors_us_interests"],
        "reason_text": "I didn't let the ministers sign a relevant agreement because in my view it "
        "is not ready to protect us, our interest.",
        "occurred_at": "2025-02-15T12:00:00+01:00",
        "sources": [AP],
    },
    "signing_authorized": {"by_party": "UA", "authorizer": "Volodymyr Zelenskyy", "signatories": ["Yulia Svyrydenko"]},
    "condition_raised": {
        "condition_id": "c1",
        "raised_by": "UA",
        "kind": "security_guarantee",
        "text": "Connect security guarantees with investment",
        "blocking": True,
    },
    "condition_satisfied": {"condition_id": "c1", "by_party": "US", "note": "guarantee clause added"},
    "condition_waived": {"condition_id": "c1", "by_party": "UA", "note": "signed without guarantees"},
    "condition_withdrawn": {"condition_id": "c1", "by_party": "UA"},
    "condition_rejected": {"condition_id": "c1", "by_party": "US", "note": "not negotiable"},
    "statement_recorded": {
        "speaker": {"title": "senior White House official", "party_id": "US"},
        "quote": "short-sighted",
        "stance": "criticize",
        "about_version": 6,
        "cameo_code": "111",
        "sources": [AP],
    },
    "counter_proposal_announced": {"by_party": "UA", "counter_to": "v1", "summary": "to be presented to the US soon"},
    "counter_proposal_abandoned": {"by_party": "UA", "reason": "talks moved to a new draft"},
    "proposal_accepted": {"by_party": "UA", "proposal_id": "v2"},
    "proposal_rejected": {"by_party": "UA", "proposal_id": "v1", "reason": "a colonial agreement"},
    "proposal_withdrawn": {"by_party": "US", "proposal_id": "v1"},
    "signature_added": {
        "party_id": "US",
        "signatory": "Scott Bessent",
        "place": "Washington",
        "occurred_at": "2025-04-30T17:00:00-04:00",
    },
    "signature_process_voided": {"by_party": "US", "reason": "text reopened"},
    "ratification_submitted": {"party_id": "UA", "body": "Verkhovna Rada", "instrument_ref": "bill 13181"},
    "ratified": {
        "party_id": "UA",
        "body": "Verkhovna Rada",
        "votes_for": 338,
        "occurred_at": "2025-05-08T12:00:00+03:00",
    },
    "ratification_refused": {"party_id": "UA", "body": "Verkhovna Rada", "votes_for": 120, "votes_against": 250},
    "entered_into_force": {"reason": "exchange of notes completed"},
    "deal_terminated": {"by_party": "US", "reason": "notice of termination"},
    "deal_withdrawn": {"by_party": "US", "reason": "offer withdrawn"},
    "intent_not_to_be_bound_declared": {"by_party": "UA", "reason": "will not become a party"},
    "deadline_set": {"deadline_at": "2025-02-28T23:59:00+02:00", "applies_to": "counter-proposal"},
    "deadline_passed": {},
    "source_attached": {"target_version": 6, "source": AP},
    "event_corrected": {
        "target_version": 8,
        "corrected_fields": {"quote": "short-sighted"},
        "reason": "quote checked against the recording",
    },
    "event_retracted": {"target_version": 9, "reason": "the report was withdrawn by its publisher"},
}


def openapi_event_examples() -> dict[str, dict[str, Any]]:
    examples = {
        kind: {"summary": kind.replace("_", " "), "value": {"type": kind, **body}}
        for kind, body in EVENT_EXAMPLES.items()
    }
    examples["atomic batch"] = {
        "summary": "several events appended atomically",
        "value": [
            {"type": "condition_raised", **EVENT_EXAMPLES["condition_raised"]},
            {"type": "counter_proposal_announced", **EVENT_EXAMPLES["counter_proposal_announced"]},
        ],
    }
    return examples


DEAL_EXAMPLE = {
    "title": "US–Ukraine minerals agreement",
    "summary": "US access to Ukraine's rare earth minerals in return for past and future support",
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
    "occurred_at": "2025-02-12T09:00:00+02:00",
}
