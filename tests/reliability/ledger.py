"""What the clients were told, and an audit of the log against it.

Every posted event carries a unique marker (a statement's quote, or a meeting's topic: a meeting has no id of its
own, so nothing but the marker tells a doubled one apart), so each event in the log can be traced to the request
that carried it: acknowledged markers must be in the log exactly once, refused ones never, and the markers of
a request that got no answer (the server died or the connection broke) either all once or not at all.
"""

from __future__ import annotations

import itertools
import threading
import time
import uuid
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

import httpx

ACK = 201
REFUSALS = frozenset({409, 412})
RUN = uuid.uuid4().hex[:8]
_counter = itertools.count()


def marker() -> str:
    return f"m-{RUN}-{next(_counter)}"


def statement(mark: str) -> dict[str, Any]:
    return {"type": "statement_recorded", "speaker": {"name": "reliability suite"}, "quote": mark}


def meeting(mark: str) -> dict[str, Any]:
    return {"type": "meeting_held", "participants": ["reliability suite"], "topic": mark}


KINDS = {"statement": statement, "meeting": meeting}


@dataclass
class Attempt:
    deal_id: str
    markers: tuple[str, ...]
    status: int | None  # None: no answer
    body: Any = None
    headers: dict[str, str] = field(default_factory=dict)
    sent_at: float = 0.0  # time.monotonic()
    seconds: float = 0.0
    sent: Any = None
    key: str | None = None  # Idempotency-Key

    @property
    def code(self) -> str | None:
        return self.body.get("code") if isinstance(self.body, dict) else None

    @property
    def recorded_unanswered(self) -> bool:
        """A retry told that its key's first request was recorded, without the first answer (a crash lost it)."""
        return self.status == 409 and self.code == "idempotency_in_progress"


@dataclass
class Ledger:
    attempts: list[Attempt] = field(default_factory=list)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def post(self, client: httpx.Client, deal_id: str, size: int = 1, headers: dict[str, str] | None = None,
             kind: str = "statement", idempotent: bool = False) -> Attempt:
        """Post `size` marked events to the deal (a list when size > 1) and record what came back."""
        marks = tuple(marker() for _ in range(size))
        body: Any = [KINDS[kind](m) for m in marks] if size > 1 else KINDS[kind](marks[0])
        key = f"key-{marks[0]}" if idempotent else None
        return self._send(client, deal_id, marks, body, headers or {}, key)

    def resend(self, client: httpx.Client, attempt: Attempt) -> Attempt:
        """The same request again, with the same Idempotency-Key: what a client does when it got no answer."""
        return self._send(client, attempt.deal_id, attempt.markers, attempt.sent, {}, attempt.key)

    def _send(self, client: httpx.Client, deal_id: str, marks: tuple[str, ...], body: Any, headers: dict[str, str],
              key: str | None) -> Attempt:
        if key is not None:
            headers = {**headers, "Idempotency-Key": key}
        sent_at = time.monotonic()
        try:
            response = client.post(f"/deals/{deal_id}/events", json=body, headers=headers)
        except httpx.HTTPError:
            attempt = Attempt(deal_id, marks, None)
        else:
            attempt = Attempt(deal_id, marks, response.status_code, _json(response), dict(response.headers))
        attempt.sent_at, attempt.seconds, attempt.sent, attempt.key = sent_at, time.monotonic() - sent_at, body, key
        with self._lock:
            self.attempts.append(attempt)
        return attempt

    def by_status(self) -> Counter[int | None]:
        return Counter(a.status for a in self.attempts)

    def acknowledged(self) -> list[Attempt]:
        return [a for a in self.attempts if a.status == ACK]

    def unexpected(self, allowed: frozenset[int] = REFUSALS) -> list[Attempt]:
        """Answers that are neither an acknowledgement nor an allowed refusal (a 5xx, say)."""
        return [a for a in self.attempts if a.status is not None and a.status != ACK and a.status not in allowed]

    def figures(self) -> dict[str, int]:
        statuses = self.by_status()
        return {
            "requests sent": len(self.attempts),
            "acknowledged": statuses[ACK],
            "events acknowledged": sum(len(a.markers) for a in self.acknowledged()),
            "conflicts (409)": statuses[409],
            "stale (412)": statuses[412],
            "unavailable (503)": statuses[503],
            "no answer": statuses[None],
            "other statuses": sum(n for s, n in statuses.items() if s not in (ACK, 409, 412, 503, None)),
        }


def _json(response: httpx.Response) -> Any:
    try:
        return response.json()
    except ValueError:
        return response.text


def history(client: httpx.Client, deal_id: str) -> list[dict[str, Any]]:
    """A deal's whole history, page by page."""
    events: list[dict[str, Any]] = []
    after = 0
    while True:
        response = client.get(f"/deals/{deal_id}/events", params={"after_version": after, "limit": 1000})
        assert response.status_code == 200, f"history of {deal_id}: {response.status_code} {response.text[:500]}"
        page = response.json()
        events.extend(page["items"])
        if page["next_after_version"] is None:
            return events
        after = page["next_after_version"]


def marker_of(event: dict[str, Any]) -> str | None:
    field = {"statement_recorded": "quote", "meeting_held": "topic"}.get(event["type"])
    return event["data"].get(field) if field else None


@dataclass
class Audit:
    """The log checked against the ledger. `problems` lists every breach; empty means nothing lost or invented."""

    found: int = 0
    lost: list[str] = field(default_factory=list)
    duplicated: list[str] = field(default_factory=list)
    invented: list[str] = field(default_factory=list)
    torn: list[tuple[str, ...]] = field(default_factory=list)
    unanswered_written: int = 0
    problems: list[str] = field(default_factory=list)

    def figures(self) -> dict[str, int]:
        return {"events found": self.found, "lost": len(self.lost), "duplicated": len(self.duplicated),
                "refused but written": len(self.invented), "torn batches": len(self.torn),
                "unanswered but written": self.unanswered_written}


def audit(ledger: Ledger, histories: dict[str, list[dict[str, Any]]]) -> Audit:
    result = Audit()
    seen: Counter[str] = Counter()
    where: dict[str, tuple[str, int]] = {}
    for deal_id, events in histories.items():
        versions = [e["version"] for e in events]
        if versions != list(range(1, len(versions) + 1)):
            result.problems.append(f"deal {deal_id}: versions not contiguous from 1: {_gaps(versions)}")
        for event in events:
            mark = marker_of(event)
            if mark is None or f"-{RUN}-" not in mark:
                continue
            seen[mark] += 1
            where[mark] = (deal_id, event["version"])
    result.found = sum(seen.values())
    result.duplicated = sorted(m for m, n in seen.items() if n > 1)
    for attempt in ledger.attempts:
        present = [m for m in attempt.markers if seen[m]]
        if attempt.status == ACK:
            result.lost += [m for m in attempt.markers if not seen[m]]
            _check_ack(attempt, where, result)
        elif attempt.status is None:
            if present and len(present) != len(attempt.markers):
                result.torn.append(attempt.markers)
            result.unanswered_written += bool(present)
        elif attempt.recorded_unanswered:
            result.lost += [m for m in attempt.markers if not seen[m]]
        else:
            result.invented += present
        if present and any(where[m][0] != attempt.deal_id for m in present):
            result.problems.append(f"markers of a write to {attempt.deal_id} found in another deal")
    for name, items in (("lost", result.lost), ("duplicated", result.duplicated),
                        ("refused but written", result.invented), ("torn batches", result.torn)):
        if items:
            result.problems.append(f"{len(items)} {name}, e.g. {items[:3]}")
    return result


def _check_ack(attempt: Attempt, where: dict[str, tuple[str, int]], result: Audit) -> None:
    """The acknowledgement names the versions the events got, contiguous and ending at the deal's new version."""
    body = attempt.body
    if not isinstance(body, dict) or "events" not in body:
        result.problems.append(f"acknowledgement without events: {body!r:.200}")
        return
    versions = [e["version"] for e in body["events"]]
    logged = [where[m][1] for m in attempt.markers if m in where]
    if versions != logged and len(logged) == len(attempt.markers):
        result.problems.append(f"acknowledged versions {versions} but the log has them at {logged}")
    if versions and (versions[-1] != body["version"] or versions != list(range(versions[0], versions[-1] + 1))):
        result.problems.append(f"acknowledged versions {versions} do not end at version {body['version']}")


def _gaps(versions: list[int]) -> str:
    counts = Counter(versions)
    missing = sorted(set(range(1, max(versions, default=0) + 1)) - set(versions))
    doubled = sorted(v for v, n in counts.items() if n > 1)
    return f"missing {missing[:10]}, repeated {doubled[:10]}"

