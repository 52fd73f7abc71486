"""What changed in a deal between two of its versions, as a list a person can read: each change has a path into
the deal (as GET /deals/{id} shows it), the value before and after, and a sentence."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

Change = dict[str, Any]

SCALARS = {
    "status": "status",
    "proposal_on_table": "proposal on the table",
    "accepted_proposal_id": "accepted proposal",
    "deadline_at": "deadline",
}
# section -> (key field, what one item is called, how an added item reads)
KEYED: dict[str, tuple[str, str, Callable[[dict[str, Any]], str]]] = {
    "parties": ("party_id", "party", lambda p: f"{p['name']} ({p['party_id']}) joined as {_names(p['roles'])}"),
    "proposals": (
        "proposal_id",
        "proposal",
        lambda p: f"proposal {p['proposal_id']} tendered by {p['tendered_by']} to {_names(p['tendered_to'])}",
    ),
    "conditions": (
        "condition_id",
        "condition",
        lambda c: f"condition {c['condition_id']} raised by {c['raised_by']}: {_short(c['text'])}"
        + ("" if c["status"] == "open" else f" (since {c['status']})"),
    ),
    "statements": (
        "statement_id",
        "statement",
        lambda s: f"statement {s['statement_id']} by {_speaker(s['speaker'])}: \u201c{_short(s['quote'])}\u201d"
        + (" (since retracted)" if s.get("retracted") else ""),
    ),
    "signatures": ("party_id", "signature", lambda s: f"{s['party_id']} signed"),
    "ratifications": ("party_id", "ratification", lambda r: f"{r['party_id']} ratified"),
}


def diff_deals(before: dict[str, Any], after: dict[str, Any]) -> list[Change]:
    """The changes from one deal body (wire/documents.deal_out) to another, in the order of the deal's sections."""
    changes: list[Change] = []
    for field, label in SCALARS.items():
        if before[field] != after[field]:
            changes.append(_change(field, before[field], after[field], f"{label}: {_show(before[field])} → "
                                                                      f"{_show(after[field])}"))
    if _ball(before) != _ball(after):
        changes.append(_change("awaiting", before["awaiting"], after["awaiting"],
                               f"ball: {_ball_text(before)} → {_ball_text(after)}"))
    for section, (key, noun, added) in KEYED.items():
        changes += _keyed(section, key, noun, added, before[section], after[section])
    changes += _meetings(before["meetings"], after["meetings"])
    changes += _corrections(before["corrections"], after["corrections"])
    return changes


def _keyed(
    section: str,
    key: str,
    noun: str,
    added: Callable[[dict[str, Any]], str],
    before: list[dict[str, Any]],
    after: list[dict[str, Any]],
) -> list[Change]:
    old = {item[key]: item for item in before}
    new = {item[key]: item for item in after}
    changes = []
    for ident, item in new.items():
        if ident not in old:
            changes.append(_change(f"{section}.{ident}", None, item, added(item)))
            continue
        for field, value in item.items():
            previous = old[ident].get(field)
            if value != previous:
                changes.append(_change(f"{section}.{ident}.{field}", previous, value,
                                       f"{noun} {ident}: {field.replace('_', ' ')} {_show(previous)} → {_show(value)}"))
    for ident, item in old.items():
        if ident not in new:
            changes.append(_change(f"{section}.{ident}", item, None, f"{noun} {ident} no longer stands"))
    return changes


def _meetings(before: list[dict[str, Any]], after: list[dict[str, Any]]) -> list[Change]:
    changes = []
    for meeting in after[len(before):]:
        where = f" at {meeting['venue']}" if meeting.get("venue") else ""
        changes.append(_change("meetings", None, meeting,
                               f"meeting{where} of {_names(meeting['participants'])}"))
    return changes


def _corrections(before: dict[str, Any], after: dict[str, Any]) -> list[Change]:
    changes = []
    for version, fields in after.items():
        if before.get(version) != fields:
            corrected = sorted(set(fields) - set(before.get(version, {})) or fields)
            changes.append(_change(f"corrections.{version}", before.get(version), fields,
                                   f"event {version} corrected: {', '.join(corrected)}"))
    return changes


def _change(path: str, before: Any, after: Any, summary: str) -> Change:
    return {"path": path, "before": before, "after": after, "summary": summary}


def _ball(deal: dict[str, Any]) -> tuple[Any, Any]:
    return tuple(deal["awaiting"]["party_ids"]), deal["awaiting"]["reason"]


def _ball_text(deal: dict[str, Any]) -> str:
    parties, reason = _ball(deal)
    return f"{', '.join(parties) or 'nobody'} ({reason})"


def _speaker(speaker: dict[str, Any]) -> str:
    who = speaker.get("name") or speaker.get("title") or "someone"
    return f"{who} ({speaker['party_id']})" if speaker.get("party_id") else who


def _names(values: list[Any]) -> str:
    return ", ".join(str(v) for v in values) or "nothing"


def _short(text: str, limit: int = 80) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _show(value: Any) -> str:
    if value is None:
        return "none"
    if isinstance(value, list):
        return "[" + _names(value) + "]"
    if isinstance(value, str):
        return _short(value)
    return str(value)
