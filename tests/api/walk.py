"""A deal walked through the HTTP API: event bodies that fit the deal as it stands (or deliberately do not), and a
probe that asks whether the API would take an event without recording it."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from typing import Any

from fastapi.testclient import TestClient

from domain.rules import ALWAYS_ALLOWED, STATE_CHANGING

EVENT_TYPES = sorted(STATE_CHANGING | ALWAYS_ALLOWED)
TRANSITION_CODES = {"illegal_transition", "blocking_conditions_open"}
OPENED_AT = datetime(2025, 2, 12, 9, tzinfo=timezone(timedelta(hours=2)))
SIGNS_FOR = {"US": "Scott Bessent", "UA": "Yulia Svyrydenko"}
# Refused whatever the deal's state (no deal has a millionth event): posted after a probed event, it rolls the
# batch back, and its own refusal says that the probed event before it was taken.
SENTINEL = {"type": "statement_recorded", "speaker": {"title": "probe"}, "quote": "probe", "about_version": 10**6}


def opening(requires_ratification: bool) -> dict[str, Any]:
    return {
        "title": "US–Ukraine minerals agreement",
        "requires_ratification": requires_ratification,
        "occurred_at": OPENED_AT.isoformat(),
        "parties": [
            {"party_id": "US", "name": "United States", "roles": ["proposer", "signatory", "ratifier"]},
            {"party_id": "UA", "name": "Ukraine", "roles": ["counterparty", "authorizer", "signatory", "ratifier"]},
            {"party_id": "EU", "name": "European Union", "kind": "organization", "roles": ["observer"]},
        ],
    }


@dataclass
class Walk:
    """One deal, the hours its clock has moved on, and the last state read back."""

    client: TestClient
    deal_id: str
    hours: int = 0
    deal: dict[str, Any] = field(default_factory=dict)

    @classmethod
    def open(cls, client: TestClient, requires_ratification: bool = False) -> Walk:
        response = client.post("/deals", json=opening(requires_ratification))
        assert response.status_code == 201, response.text
        walk = cls(client, response.json()["deal_id"])
        designations = [{"type": "representative_designated", "party_id": p, "name": name, "authority": ["sign"],
                         "occurred_at": OPENED_AT.isoformat()} for p, name in SIGNS_FOR.items()]
        # An open condition that holds nothing up, so that every condition verb has something to act on.
        guarantees = {"type": "condition_raised", "condition_id": "c0", "raised_by": "UA", "blocking": False,
                      "text": "security guarantees", "occurred_at": OPENED_AT.isoformat()}
        walk.post([*designations, guarantees])
        return walk

    def read(self) -> dict[str, Any]:
        response = self.client.get(f"/deals/{self.deal_id}")
        assert response.status_code == 200, response.text
        self.deal = response.json()
        return self.deal

    def post(self, body: Any) -> Any:
        response = self.client.post(f"/deals/{self.deal_id}/events", json=body)
        assert response.status_code < 500, response.text
        return response

    def probe(self, body: dict[str, Any]) -> tuple[bool, dict[str, Any]]:
        """Whether the API would take the event now (nothing is recorded), and its refusal if not."""
        response = self.post([body, SENTINEL])
        problem = response.json()
        assert response.status_code != 201, "the sentinel was taken"
        if problem.get("field", "").endswith("about_version"):
            return True, {}
        return False, problem

    def next_time(self) -> str:
        self.hours += 1
        return (OPENED_AT + timedelta(hours=self.hours)).isoformat()

    def origins(self) -> list[dict[str, Any]]:
        """The deal's conditions and statements as first recorded, with their versions."""
        params = {"type": ["condition_raised", "statement_recorded"], "limit": 1000}
        return self.client.get(f"/deals/{self.deal_id}/events", params=params).json()["items"]


# ---- bodies that fit the deal ------------------------------------------------------------------------------


def _roles(deal: dict[str, Any], party_id: str) -> list[str]:
    return next((p["roles"] for p in deal["parties"] if p["party_id"] == party_id), [])


def _with(deal: dict[str, Any], role: str) -> list[str]:
    return [p["party_id"] for p in deal["parties"] if role in p["roles"]]


def _on_table(deal: dict[str, Any]) -> dict[str, Any] | None:
    return next((p for p in deal["proposals"] if p["proposal_id"] == deal["proposal_on_table"]), None)


def _other(party_id: str) -> str:
    return "UA" if party_id == "US" else "US"


def fit(walk: Walk, event_type: str, blocking: bool = True) -> tuple[dict[str, Any], bool]:
    """A body for this event type with arguments that fit the deal as last read, and whether they all do (when they
    cannot — no proposal on the table to accept, no open condition to meet — the body is still a valid request)."""
    deal, at = walk.deal, walk.next_time()
    table = _on_table(deal)
    tenderer = table["tendered_by"] if table else "US"
    answerer = _other(tenderer) if table else "UA"
    signatories = _with(deal, "signatory") or _with(deal, "proposer") + _with(deal, "counterparty")
    unsigned = [p for p in signatories if p not in {s["party_id"] for s in deal["signatures"]}]
    ratifiers = _with(deal, "ratifier") or signatories
    unratified = [p for p in ratifiers if p not in {r["party_id"] for r in deal["ratifications"]}]
    standing = [c for c in deal["conditions"] if c["status"] in ("open", "rejected")]
    open_ = [c for c in standing if c["status"] == "open"]
    eu = _roles(deal, "EU")
    body: dict[str, Any]
    fits = True
    if event_type == "proposal_tendered":
        by = "US" if table is None else _other(tenderer)
        body = {"proposal_id": f"v{len(deal['proposals']) + 1}", "tendered_by": by, "tendered_to": [_other(by)],
                "terms": ["minerals access"]}
    elif event_type in ("proposal_accepted", "proposal_rejected", "counter_proposal_announced", "signing_withheld"):
        body = {"by_party": answerer}
        fits = table is not None and (event_type != "signing_withheld" or "authorizer" in _roles(deal, answerer))
    elif event_type == "proposal_withdrawn":
        body, fits = {"by_party": tenderer}, table is not None
    elif event_type == "signing_authorized":
        body, fits = {"by_party": "UA", "authorizer": "Volodymyr Zelenskyy"}, table is not None
    elif event_type == "counter_proposal_abandoned":
        body = {"by_party": (deal["awaiting"]["party_ids"] or ["UA"])[0]}
    elif event_type == "signature_added":
        party = (unsigned or ["US"])[0]
        body, fits = {"party_id": party, "signatory": SIGNS_FOR[party]}, bool(unsigned)
    elif event_type == "ratified":
        body, fits = {"party_id": (unratified or ["UA"])[0], "votes_for": 338}, bool(unratified)
    elif event_type in ("ratification_submitted", "ratification_refused"):
        body = {"party_id": "UA", "body": "Verkhovna Rada"}
    elif event_type in ("signature_process_voided", "deal_withdrawn"):
        body = {"by_party": "US"}
    elif event_type in ("deal_terminated", "intent_not_to_be_bound_declared"):
        body = {"by_party": "UA"}
    elif event_type == "party_joined":
        body = {"party_id": f"P{deal['version']}", "name": "Poland", "roles": ["observer"]}
    elif event_type in ("role_assigned", "role_revoked"):
        holds = event_type == "role_revoked"
        roles = [r for r in ("observer", "guarantor") if (r in eu) == holds]
        body, fits = {"party_id": "EU", "role": (roles or ["observer"])[0]}, bool(roles)
    elif event_type == "representative_designated":
        body = {"party_id": "US", "name": "JD Vance", "title": "Vice President", "authority": ["negotiate"]}
    elif event_type == "meeting_held":
        body = {"participants": ["Volodymyr Zelenskyy", "JD Vance"], "venue": "Munich"}
    elif event_type == "statement_recorded":
        body = {"statement_id": f"s{deal['version']}", "speaker": {"title": "senior official"},
                "quote": "short-sighted"}
    elif event_type == "condition_raised":
        body = {"condition_id": f"c{deal['version']}", "raised_by": "UA", "text": "Constitution, Art. 13",
                "blocking": blocking}
    elif event_type in ("condition_satisfied", "condition_waived", "condition_withdrawn", "condition_rejected"):
        candidates = open_ if event_type == "condition_rejected" else standing
        body = {"condition_id": candidates[0]["condition_id"] if candidates else "c-none", "by_party": "UA"}
        fits = bool(candidates)
    elif event_type == "source_attached":
        body = {"target_version": deal["version"], "source": {"url": "https://apnews.com/a"}}
    elif event_type == "deadline_set":
        body = {"deadline_at": (OPENED_AT + timedelta(days=400)).isoformat()}
    elif event_type in ("event_corrected", "event_retracted"):
        body, fits = _annotation(walk, event_type)
    else:  # negotiation_opened, entered_into_force, deadline_passed
        body = {}
    return {"type": event_type, **body, "occurred_at": at}, fits


def _annotation(walk: Walk, event_type: str) -> tuple[dict[str, Any], bool]:
    statements = {s["statement_id"]: s for s in walk.deal["statements"]}
    targets = [e for e in walk.origins()
               if e["type"] == "condition_raised" or not statements[e["data"]["statement_id"]]["retracted"]]
    if event_type == "event_corrected":
        target = next((e for e in targets if e["type"] == "condition_raised"), None)
        return {"target_version": target["version"] if target else 1,
                "corrected_fields": {"text": "security guarantees tied to investment"}, "reason": "misquoted"}, \
            target is not None
    target = next((e for e in targets if e["type"] == "statement_recorded"), None)
    return {"target_version": target["version"] if target else 1, "reason": "never said"}, target is not None


def mangle(body: dict[str, Any], how: str) -> dict[str, Any]:
    """The same request made wrong in a way the schema cannot see: a stranger acts, the time goes back before the
    opening, or someone signs for the other party."""
    if how == "stranger":
        return {k: "XX" if k in ("by_party", "party_id", "tendered_by", "raised_by") else v for k, v in body.items()}
    if how == "backdated":
        return {**body, "occurred_at": "2025-01-01T00:00:00+00:00"}
    if how == "impostor" and "signatory" in body:
        return {**body, "signatory": SIGNS_FOR[_other(body["party_id"])]}
    return body
