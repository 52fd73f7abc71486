"""The FastAPI receiver shown in the README, run as it is (under uvicorn on loopback) against real deliveries."""

from __future__ import annotations

import re
import socket
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
import uvicorn
from fastapi.testclient import TestClient

from tests.webhooks.helpers import event_ids, new_deal, subscribe
from tests.webhooks.receiver import wait_for

README = Path(__file__).resolve().parents[2] / "README.md"


def readme_receiver(secret: str, monkeypatch: pytest.MonkeyPatch) -> dict[str, Any]:
    code = re.search(r"```python\n(# receiver\.py.*?)```", README.read_text(), re.DOTALL)
    assert code is not None, "the README has no receiver example"
    monkeypatch.setenv("DEALS_WEBHOOK_SECRET", secret)
    namespace: dict[str, Any] = {"__name__": "receiver"}
    exec(compile(code.group(1), "README.md:receiver.py", "exec"), namespace)
    return namespace


@pytest.fixture
def serve() -> Iterator[Any]:
    servers: list[tuple[uvicorn.Server, threading.Thread]] = []

    def start(app: Any) -> str:
        with socket.socket() as sock:
            sock.bind(("127.0.0.1", 0))
            port = sock.getsockname()[1]
        server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning"))
        thread = threading.Thread(target=server.run, daemon=True)
        thread.start()
        wait_for(lambda: server.started)
        servers.append((server, thread))
        return f"http://127.0.0.1:{port}"

    yield start
    for server, thread in servers:
        server.should_exit = True
        thread.join(10)


def test_the_readme_receiver_verifies_and_handles_every_event(
    api: TestClient, serve: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    response = api.post("/webhooks", json={"url": "http://127.0.0.1:9/placeholder"})
    secret, endpoint_id = response.json()["secret"], response.json()["id"]
    receiver = readme_receiver(secret, monkeypatch)
    url = serve(receiver["app"])
    api.patch(f"/webhooks/{endpoint_id}", json={"url": f"{url}/deals"})

    deal = new_deal(api)

    wait_for(lambda: list(receiver["handled"]) == event_ids(api, deal))
    assert [e["data"]["version"] for e in receiver["handled"].values()] == [1, 2, 3]
    ping = api.post(f"/webhooks/{endpoint_id}/test").json()
    wait_for(lambda: ping["webhook_id"] in receiver["handled"])
    wait_for(lambda: api.get(f"/webhooks/{endpoint_id}/deliveries/{ping['id']}").json()["status"] == "succeeded")
    forged = httpx.post(f"{url}/deals", content=b'{"type":"deal.deal_opened"}', headers={
        "webhook-id": "x", "webhook-timestamp": "1739617200", "webhook-signature": "v1,Zm9yZ2Vk"})
    assert forged.status_code == 400


def test_a_subscription_made_with_the_readme_shape_is_accepted(api: TestClient) -> None:
    body = subscribe(api, "http://127.0.0.1:9/deals", event_types=["deal.*"], description="negotiation desk")

    assert (body["event_types"], body["description"]) == (["deal.*"], "negotiation desk")
