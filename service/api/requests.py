"""The request bodies of the events a client appends, derived from the domain's commands (domain/catalogue.py).

Each event type's body is its command's fields, with the command's own limits, plus its `type`. Where the wire
differs from the command, it is here and nowhere else:

- `occurred_at` may be left out (it defaults to the time of the request); so may the id of a new proposal,
  condition or statement (the service gives it one: the catalogue's `generated_id`).
- Fields the event type fixes (`preset`: the outcome of a resolved condition) are not sent.
- Times are RFC 3339 text with an offset; sequences are JSON arrays; a source and a speaker are the objects
  SourceIn and SpeakerIn.
"""

from __future__ import annotations

import dataclasses
from datetime import datetime
from types import UnionType
from typing import TYPE_CHECKING, Annotated, Any, Literal, Union, get_args, get_origin, get_type_hints
from uuid import uuid4

from pydantic import BaseModel, Field, StringConstraints, create_model

from domain.catalogue import APPENDABLE, BY_NAME, EventType
from domain.commands import Command, Pattern
from domain.values import Source, Speaker
from service.api.schemas import EventIn, Schema, SourceIn, SpeakerIn, Time

# Domain value -> the schema a client sends it as.
WIRE_MODELS: dict[type, type[BaseModel]] = {Source: SourceIn, Speaker: SpeakerIn}
DOMAIN_VALUES: dict[type[BaseModel], type] = {wire: value for value, wire in WIRE_MODELS.items()}
GENERATED_ID = "Defaults to a new id."


def wire_type(annotation: Any) -> Any:
    """The pydantic type of a command field's annotation."""
    origin = get_origin(annotation)
    if origin is Annotated:
        base, *limits = get_args(annotation)
        return Annotated[(wire_type(base), *(_wire_limit(limit) for limit in limits))]
    if origin in (Union, UnionType):
        return Union[tuple(wire_type(arg) for arg in get_args(annotation))]  # noqa: UP007 - built from parts
    if origin is tuple:
        return list[wire_type(get_args(annotation)[0])]  # type: ignore[misc]  # a type built at run time from the command's annotation
    if origin is dict:
        key, value = get_args(annotation)
        return dict[wire_type(key), value]  # type: ignore[misc]  # a type built at run time from the command's annotation
    if annotation is datetime:
        return Time
    return WIRE_MODELS.get(annotation, annotation)


def _wire_limit(limit: Any) -> Any:
    return StringConstraints(pattern=limit.regex) if isinstance(limit, Pattern) else limit


def request_model(entry: EventType) -> type[Schema]:
    """The body a client posts to record an event of this type."""
    hints = get_type_hints(entry.command, include_extras=True)
    reported = "sources" in hints  # those that carry sources share EventIn's occurred_at and sources
    fields: dict[str, Any] = {"type": (Literal[entry.name], ...)}
    for field in dataclasses.fields(entry.command):
        if field.name in entry.preset or (reported and field.name in EventIn.model_fields):
            continue
        annotation, description = wire_type(hints[field.name]), field.metadata.get("doc")
        if field.name == "occurred_at" or field.name == entry.generated_id:
            description = GENERATED_ID if field.name == entry.generated_id else description
            fields[field.name] = (annotation | None, Field(None, description=description))
        elif field.default is dataclasses.MISSING:
            fields[field.name] = (annotation, Field(..., description=description))
        else:
            default = [] if field.default == () else field.default
            fields[field.name] = (annotation, Field(default, description=description))
    return create_model(
        f"{entry.event.__name__}In",
        __base__=EventIn if reported else Schema,
        __doc__=entry.command.__doc__,
        __module__=__name__,
        **fields,
    )


REQUEST_MODELS: dict[str, type[Schema]] = {entry.name: request_model(entry) for entry in APPENDABLE}

if TYPE_CHECKING:  # built at run time from the catalogue, which a type checker cannot follow
    DealEventIn = Schema
    EventBatchIn = list[Schema]
else:
    DealEventIn = Annotated[Union[tuple(REQUEST_MODELS.values())], Field(discriminator="type")]  # noqa: UP007
    EventBatchIn = Annotated[list[DealEventIn], Field(min_length=1, max_length=500)]


def domain_value(value: Any) -> Any:
    """A validated wire value as the domain has it: arrays as tuples, SourceIn and SpeakerIn as Source and Speaker."""
    if type(value) is list:
        return tuple(domain_value(item) for item in value)
    if isinstance(value, BaseModel):
        return DOMAIN_VALUES[type(value)](**vars(value))
    return value


def to_command(body: Schema, default_time: datetime) -> Command:
    """The command a validated body asks for; left out, `occurred_at` is `default_time` and a new thing's id is
    new."""
    entry = BY_NAME[body.type]  # type: ignore[attr-defined]  # every request model has its `type` (built by request_model)
    values = {name: domain_value(value) for name, value in vars(body).items() if name != "type"}
    if values["occurred_at"] is None:
        values["occurred_at"] = default_time
    if entry.generated_id is not None and values[entry.generated_id] is None:
        values[entry.generated_id] = uuid4().hex[:12]
    return entry.command(**values, **entry.preset)
