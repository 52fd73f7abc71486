"""The global feed of all deals' events (GET /events, or the application's notification log where a server has
no feed), and its checks."""

from __future__ import annotations

from typing import Any

import httpx

from service.application import DealsApplication
from service.settings import Settings

Entry = tuple[int, str, int]  # (position, deal id, version)


def read_feed(settings: Settings, client: httpx.Client | None = None) -> list[Entry]:
    """The feed as a consumer pages through it: GET /events when the server has it, else the store directly."""
    if client is None:
        return read_log(settings)
    entries: list[Entry] = []
    after = 0
    while True:
        response = client.get("/events", params={"after": after, "limit": 1000})
        if response.status_code == 404 and after == 0:
            return read_log(settings)
        assert response.status_code == 200, f"GET /events: {response.status_code} {response.text[:500]}"
        page = response.json()
        entries += [(e["position"], str(e["deal_id"]), e["version"]) for e in page["items"]]
        after = page["next_after"]
        if not page["has_more"]:
            return entries


def read_log(settings: Settings) -> list[Entry]:
    """Every notification in position order, read straight from the store (what a feed consumer would page through)."""
    app = DealsApplication(settings=settings)
    try:
        entries: list[Entry] = []
        while True:
            start = entries[-1][0] if entries else 0
            page = app.recorder.select_notifications(start=start, limit=1000, inclusive_of_start=False)
            entries += [(n.id, str(n.originator_id), n.originator_version) for n in page]
            if len(page) < 1000:
                return entries
    finally:
        app.close()


def check_feed(feed: list[Entry], histories: dict[str, list[dict[str, Any]]], acks: list[Any]) -> list[str]:
    """Each event once, positions rising, each deal's versions in order, positions as acknowledged."""
    problems = []
    positions = [p for p, _, _ in feed]
    if positions != sorted(set(positions)):
        problems.append("feed positions are not strictly increasing")
    at = {(deal, version): position for position, deal, version in feed}
    if len(at) != len(feed):
        problems.append(f"{len(feed) - len(at)} events appear more than once in the feed")
    logged = {(deal, e["version"]) for deal, events in histories.items() for e in events}
    if missing := logged - set(at):
        problems.append(f"{len(missing)} logged events missing from the feed, e.g. {sorted(missing)[:3]}")
    if extra := {k for k in at if k[0] in histories} - logged:
        problems.append(f"{len(extra)} feed entries not in the deals' histories, e.g. {sorted(extra)[:3]}")
    last: dict[str, int] = {}
    for _, deal, version in feed:
        if version <= last.get(deal, 0):
            problems.append(f"deal {deal}: version {version} comes after version {last[deal]} in the feed")
        last[deal] = version
    for body in acks:
        for event in body["events"]:
            expected = at.get((str(event["deal_id"]), event["version"]))
            if event["position"] is not None and event["position"] != expected:
                problems.append(f"acknowledged position {event['position']} but the feed has it at {expected}")
    return problems
