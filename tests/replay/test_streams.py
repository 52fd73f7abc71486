"""Live streams (Server-Sent Events) against a real uvicorn server: order, live delivery, heartbeats,
resuming with Last-Event-ID, one deal's stream, and a server that stops while streams are open."""

from __future__ import annotations

import json
import signal
import socket
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from service.entrypoints.demo import record_story
from service.settings import Settings
from tests.reliability.servers import ApiServer

TIMEOUT = httpx.Timeout(10.0)  # a stream that stops sending fails the test instead of hanging it


@pytest.fixture
def server(settings: Settings, tmp_path: Path) -> Iterator[ApiServer]:
    with ApiServer(tmp_path / "api.log", database_url=settings.database_url, postgres_schema=settings.postgres_schema,
                   pool_size="2", stream_heartbeat_seconds="0.3", run_background="false") as api:
        yield api


class Messages:
    """The messages of an open event stream, one at a time."""

    def __init__(self, response: httpx.Response) -> None:
        self.lines = response.iter_lines()

    def next(self) -> dict[str, Any]:
        fields: dict[str, Any] = {}
        for line in self.lines:
            if line == "":
                if fields:
                    return fields
                continue
            name, _, value = line.partition(":")
            fields[name or "comment"] = value.removeprefix(" ")
        raise AssertionError("the stream ended")

    def next_event(self) -> dict[str, Any]:
        while True:
            message = self.next()
            if "data" in message:
                event = json.loads(message["data"])
                assert message["id"] == str(event["position"])
                return event


def _post(client: httpx.Client, deal_id: str, event: dict[str, Any]) -> dict[str, Any]:
    response = client.post(f"/deals/{deal_id}/events", json=event)
    assert response.status_code == 201, response.text
    return response.json()


STATEMENT = {"type": "statement_recorded", "speaker": {"title": "spokesperson"}, "quote": "talks go on",
             "stance": "neutral"}


def test_the_stream_replays_in_order_then_delivers_live_then_beats_when_idle(server: ApiServer) -> None:
    with httpx.Client(base_url=server.url, timeout=TIMEOUT) as client:
        deal_id = record_story(client)
        history = client.get(f"/deals/{deal_id}/events", params={"limit": 1000}).json()["items"]

        with client.stream("GET", "/events/stream", params={"after": 0}) as response:
            messages = Messages(response)
            assert response.headers["content-type"].startswith("text/event-stream")
            assert messages.next() == {"retry": "1000"}
            replayed = [messages.next_event() for _ in history]
            live = _post(client, deal_id, STATEMENT)["events"][0]
            delivered = messages.next_event()
            beat = messages.next()

    assert replayed == history
    assert (delivered["position"], delivered["type"], delivered["version"]) == (live["position"],
                                                                                "statement_recorded", 14)
    assert beat == {"comment": "keep-alive"}


def test_a_client_resumes_after_its_last_event_id(server: ApiServer) -> None:
    with httpx.Client(base_url=server.url, timeout=TIMEOUT) as client:
        deal_id = record_story(client)
        positions = [e["position"] for e in client.get(f"/deals/{deal_id}/events").json()["items"]]

        headers = {"Last-Event-ID": str(positions[9])}
        with client.stream("GET", "/events/stream", params={"after": 0}, headers=headers) as response:
            messages = Messages(response)
            resumed = [messages.next_event()["position"] for _ in positions[10:]]
        with client.stream("GET", "/events/stream", headers={"Last-Event-ID": "ten"}) as response:
            refused = (response.status_code, json.loads(response.read()))

    assert resumed == positions[10:]
    assert refused[0] == 422 and refused[1]["field"] == "Last-Event-ID"


def test_a_deals_stream_carries_only_that_deal_and_starts_from_now_by_default(server: ApiServer) -> None:
    with httpx.Client(base_url=server.url, timeout=TIMEOUT) as client:
        mine, other = record_story(client), record_story(client)

        with client.stream("GET", f"/deals/{mine}/events/stream") as response:
            messages = Messages(response)
            assert messages.next() == {"retry": "1000"}
            _post(client, other, STATEMENT)
            expected = _post(client, mine, STATEMENT)["events"][0]
            received = messages.next_event()
        missing = client.get("/deals/00000000-0000-4000-8000-000000000000/events/stream")

    assert (received["deal_id"], received["position"]) == (mine, expected["position"])
    assert missing.status_code == 404


def test_the_server_stops_promptly_while_a_stream_is_open(settings: Settings, tmp_path: Path) -> None:
    # No heartbeat for a minute: only the service's own signal handling can end the idle stream. A plain socket,
    # as curl or a browser holds it (uvicorn happened to close httpx's idle stream by itself).
    quiet = ApiServer(tmp_path / "quiet.log", database_url=settings.database_url, run_background="false",
                      postgres_schema=settings.postgres_schema, stream_heartbeat_seconds="60")
    with quiet, socket.create_connection(("127.0.0.1", quiet.port), timeout=10) as sock:
        sock.sendall(b"GET /events/stream HTTP/1.1\r\nHost: 127.0.0.1\r\nAccept: text/event-stream\r\n\r\n")
        received = b""
        while b"retry: 1000" not in received:
            received += sock.recv(4096)
        quiet.stop()  # SIGTERM; a server still waiting on the stream after 15 s is killed (SIGKILL)

    # uvicorn shuts down gracefully, then re-raises the SIGTERM it caught.
    assert quiet.proc is not None and quiet.proc.returncode == -signal.SIGTERM, quiet.tail()
