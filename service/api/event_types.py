"""The documented list of event types, derived from the catalogue (domain/catalogue.py): the README's table and
the description of POST /deals/{deal_id}/events show it."""

from __future__ import annotations

from domain.catalogue import APPENDABLE, CATALOGUE, EventType


def what_it_records(entry: EventType) -> str:
    said = (entry.command.__doc__ or "").strip().splitlines()[0]
    fixed = ", ".join(f"{name}: {getattr(value, 'value', value)}" for name, value in entry.preset.items())
    return f"{said.removesuffix('.')}; {fixed}." if fixed else said


def event_type_table() -> str:
    """Every event type as a Markdown table: its name, the command that records it, what it records."""
    rows = ["| type | command | what it records | moves the status |", "|---|---|---|---|"]
    for entry in CATALOGUE:
        moves = "yes" if entry.moves_status else ""
        rows.append(f"| `{entry.name}` | `{entry.command.__name__}` | {what_it_records(entry)} | {moves} |")
    return "\n".join(rows)


def appendable_list() -> str:
    """The event types a client appends, as a Markdown list (in the description of POST /deals/{deal_id}/events)."""
    return "\n".join(f"- `{entry.name}`: {what_it_records(entry)}" for entry in APPENDABLE)


if __name__ == "__main__":  # prints the README's table: python -m service.api.event_types
    print(event_type_table())
