"""Webhook receivers on loopback for the reliability suites: one that records what it gets (answering at once or
slowly, and able to come up late on a port reserved for it), and one that answers garbage instead of HTTP."""

from __future__ import annotations

import json
import socketserver
import threading
import time
from collections import defaultdict
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import httpx

from tests.reliability.servers import free_port

# Twenty attempts over ~17 s: a receiver down for a few seconds is retried, not given up on.
FAST_WEBHOOKS = {
    "webhook_allow_loopback": "true", "webhook_timeout": "1", "webhook_lease": "3", "webhook_jitter": "0",
    "webhook_retry_schedule": ",".join(["0", "0.2", "0.5"] + ["1"] * 17), "webhook_poll_interval": "0.05",
}


def subscribe(client: httpx.Client, url: str) -> str:
    response = client.post("/webhooks", json={"url": url})
    assert response.status_code == 201, response.text
    return response.json()["id"]


@dataclass(frozen=True)
class Delivery:
    webhook_id: str
    body: bytes

    @property
    def data(self) -> dict[str, Any]:
        return json.loads(self.body)["data"]


class Receiver:
    """Records every POST and answers 200 after `delay` seconds. Not listening until started: a receiver that is
    down at first is one started late on its reserved port."""

    def __init__(self, delay: float = 0.0) -> None:
        self.port = free_port()
        self.delay = delay
        self.deliveries: list[Delivery] = []
        self.lock = threading.Lock()
        self.server: ThreadingHTTPServer | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/hook"

    def start(self) -> Receiver:
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers.get("content-length", 0)))
                with receiver.lock:
                    receiver.deliveries.append(Delivery(self.headers["webhook-id"], body))
                time.sleep(receiver.delay)
                self.send_response(200)
                self.send_header("content-length", "0")
                self.end_headers()

            def log_message(self, *args: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", self.port), Handler)
        self.server.daemon_threads = True
        threading.Thread(target=self.server.serve_forever, daemon=True).start()
        return self

    def stop(self) -> None:
        if self.server is not None:
            self.server.shutdown()
            self.server.server_close()

    def received(self) -> list[Delivery]:
        with self.lock:
            return list(self.deliveries)

    def first_seen(self) -> dict[str, list[str]]:
        """Per deal, the webhook-ids in the order they first arrived (deal events only)."""
        seen: dict[str, list[str]] = defaultdict(list)
        for delivery in self.received():
            data = delivery.data
            if "deal_id" in data and delivery.webhook_id not in seen[data["deal_id"]]:
                seen[data["deal_id"]].append(delivery.webhook_id)
        return dict(seen)

    def conflicting_redeliveries(self) -> int:
        """Deliveries that repeat a webhook-id with another body (there must be none)."""
        bodies: dict[str, bytes] = {}
        return sum(bodies.setdefault(d.webhook_id, d.body) != d.body for d in self.received())

    def duplicates(self) -> int:
        received = self.received()
        return len(received) - len({d.webhook_id for d in received})


class _TCPServer(socketserver.ThreadingTCPServer):
    allow_reuse_address = True
    daemon_threads = True


class GarbageReceiver:
    """Accepts the connection, reads the request and answers bytes that are not HTTP at all."""

    def __init__(self) -> None:
        self.connections = 0
        receiver = self

        class Handler(socketserver.BaseRequestHandler):
            def handle(self) -> None:
                receiver.connections += 1
                self.request.settimeout(2)
                try:
                    self.request.recv(65536)
                    self.request.sendall(b"\x00\xff\xfegarbage, not HTTP\r\n\r\n\x1b[2J")
                except OSError:
                    pass

        self.server = _TCPServer(("127.0.0.1", 0), Handler)
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server.server_address[1]}/hook"

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()
