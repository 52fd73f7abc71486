"""Example bodies for the OpenAPI document: one per event type, the catalogue's (domain/catalogue.py), taken from
the Munich minerals story."""

from __future__ import annotations

import dataclasses
from typing import Any

from domain.catalogue import APPENDABLE, BY_NAME, EventType
from service.wire.documents import jsonable


def wire_example(entry: EventType) -> dict[str, Any]:
    """The catalogue's example command as a client posts it: its fields in JSON, less those left at their default
    and those the event type fixes."""
    body = _compact(entry.example)
    return {name: value for name, value in body.items() if name not in entry.preset}


def _compact(value: Any) -> Any:
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return {
            field.name: _compact(getattr(value, field.name))
            for field in dataclasses.fields(value)
            if field.default is dataclasses.MISSING or getattr(value, field.name) != field.default
        }
    if isinstance(value, tuple | list):
        return [_compact(item) for item in value]
    return jsonable(value)


EVENT_EXAMPLES: dict[str, dict[str, Any]] = {entry.name: wire_example(entry) for entry in APPENDABLE}


def openapi_event_examples() -> dict[str, dict[str, Any]]:
    examples: dict[str, dict[str, Any]] = {
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
    **{k: v for k, v in wire_example(BY_NAME["deal_opened"]).items() if k != "deal_id"},  # a new id each time
    "parties": [
        {"party_id": "US", "name": "United States", "kind": "state", "roles": ["proposer", "signatory"]},
        {
            "party_id": "UA",
            "name": "Ukraine",
            "kind": "state",
            "roles": ["counterparty", "authorizer", "signatory", "ratifier"],
        },
    ],
}
