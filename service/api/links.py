"""OpenAPI links: how the answer of one operation feeds the next (a deal's id into its reads and writes, a webhook
endpoint's id into its management, a test delivery's id into its reads), for clients and stateful testing."""

from __future__ import annotations

from typing import Any

from service.http.openapi import operations

DEAL = {"deal_id": "$response.body#/deal_id"}
ENDPOINT = {"endpoint_id": "$response.body#/id"}
DELIVERY = {"endpoint_id": "$response.body#/endpoint_id", "delivery_id": "$response.body#/id"}

# (from path, method, status) -> [(link name, to path, method, parameters)]
LINKS: dict[tuple[str, str, str], list[tuple[str, str, str, dict[str, str]]]] = {
    ("/deals", "post", "201"): [
        ("ReadDeal", "/deals/{deal_id}", "get", DEAL),
        ("ReadHistory", "/deals/{deal_id}/events", "get", DEAL),
        ("AppendEvents", "/deals/{deal_id}/events", "post", DEAL),
        ("ReadDiff", "/deals/{deal_id}/diff", "get", DEAL),
        ("ReadTimeline", "/deals/{deal_id}/timeline", "get", DEAL),
        ("VerifyDeal", "/deals/{deal_id}/verify", "get", DEAL),
    ],
    ("/deals/{deal_id}/events", "post", "201"): [
        ("ReadDeal", "/deals/{deal_id}", "get", DEAL),
        ("ReadHistory", "/deals/{deal_id}/events", "get", DEAL),
        ("ReadDiff", "/deals/{deal_id}/diff", "get", DEAL),
    ],
    ("/webhooks", "post", "201"): [
        (name, path, method, ENDPOINT) for name, path, method in (
            ("ReadWebhook", "/webhooks/{endpoint_id}", "get"),
            ("UpdateWebhook", "/webhooks/{endpoint_id}", "patch"),
            ("DeleteWebhook", "/webhooks/{endpoint_id}", "delete"),
            ("DisableWebhook", "/webhooks/{endpoint_id}/disable", "post"),
            ("EnableWebhook", "/webhooks/{endpoint_id}/enable", "post"),
            ("RotateSecret", "/webhooks/{endpoint_id}/rotate-secret", "post"),
            ("ListDeliveries", "/webhooks/{endpoint_id}/deliveries", "get"),
            ("Recover", "/webhooks/{endpoint_id}/recover", "post"),
            ("SendTest", "/webhooks/{endpoint_id}/test", "post"),
        )
    ],
    ("/webhooks/{endpoint_id}/test", "post", "202"): [
        ("ReadDelivery", "/webhooks/{endpoint_id}/deliveries/{delivery_id}", "get", DELIVERY),
        ("RetryDelivery", "/webhooks/{endpoint_id}/deliveries/{delivery_id}/retry", "post", DELIVERY),
    ],
}


def document_links(schema: dict[str, Any]) -> None:
    ids = {(path, method): op.get("operationId") for path, method, op in operations(schema)}
    for (path, method, status), links in LINKS.items():
        op = schema.get("paths", {}).get(path, {}).get(method)
        if op is None or status not in op.get("responses", {}):
            continue
        found = op["responses"][status].setdefault("links", {})
        for name, to_path, to_method, parameters in links:
            if ids.get((to_path, to_method)):
                found[name] = {"operationId": ids[(to_path, to_method)], "parameters": parameters}
