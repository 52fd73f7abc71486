"""The request rules that pydantic does not see, stated in the OpenAPI document so that clients, generated code and
fuzzers know them: control characters (text_limits.py) as a pattern on every free-text string, and the known
event types as the enum of every `type` filter."""

from __future__ import annotations

from typing import Any

from domain.catalogue import EVENT_CLASSES
from service.http.openapi import operations

# What text_limits.py lets through: tab, line feed and carriage return in a body's strings, nothing below U+0020
# in keys, the query, the path and headers.
BODY_TEXT = "^[^\\x00-\\x08\\x0b\\x0c\\x0e-\\x1f]*$"
PLAIN_TEXT = "^[^\\x00-\\x1f]*$"


def document_text_rules(schema: dict[str, Any]) -> None:
    components = schema.get("components", {}).get("schemas", {})
    bodies: set[str] = set()
    for _, _, op in operations(schema):
        for param in op.get("parameters", []):
            _strings(param.get("schema", {}), PLAIN_TEXT, components, set())
            if param["in"] == "query" and param["name"] == "type":
                _event_types(param.get("schema", {}))
        for content in op.get("requestBody", {}).get("content", {}).values():
            _strings(content.get("schema", {}), BODY_TEXT, components, bodies)


def _strings(node: dict[str, Any], pattern: str, components: dict[str, Any], seen: set[str]) -> None:
    """Put the pattern on every string (and map key) that has no pattern, format or enum of its own."""
    if "$ref" in node:
        name = node["$ref"].rsplit("/", 1)[-1]
        if name not in seen:
            seen.add(name)
            _strings(components.get(name, {}), pattern, components, seen)
        return
    if node.get("type") == "string" and not {"pattern", "format", "enum", "const"} & node.keys():
        node["pattern"] = pattern
    for key in ("anyOf", "oneOf", "allOf", "prefixItems"):
        for sub in node.get(key, []):
            _strings(sub, pattern, components, seen)
    for sub in node.get("properties", {}).values():
        _strings(sub, pattern, components, seen)
    for key in ("items", "additionalProperties"):
        if isinstance(node.get(key), dict):
            _strings(node[key], pattern, components, seen)
    if isinstance(node.get("propertyNames"), dict):
        _strings(node["propertyNames"], PLAIN_TEXT, components, seen)
    elif isinstance(node.get("additionalProperties"), dict):
        node["propertyNames"] = {"pattern": PLAIN_TEXT}


def _event_types(node: dict[str, Any]) -> None:
    for sub in [node, *node.get("anyOf", [])]:
        if sub.get("type") == "array":
            sub["items"] = {"type": "string", "enum": sorted(EVENT_CLASSES)}
