"""Delivery in `deals worker` processes next to an API that runs no background work: a worker killed with SIGKILL in
the middle of a delivery and restarted still delivers every event (a duplicate only ever repeats a webhook-id with
its body), and two workers on PostgreSQL share the work without sending anything twice."""

from __future__ import annotations

import sys
import threading
from collections import Counter, defaultdict
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from service.settings import Settings
from tests.reliability.servers import ApiServer, Process, service_env
from tests.webhooks.helpers import statement
from tests.webhooks.receiver import Answer, Received, Receiver, wait_for

FAST_ENV = {
    "webhook_allow_loopback": "true", "webhook_timeout": "1", "webhook_lease": "2", "webhook_jitter": "0",
    "webhook_retry_schedule": "0,0.05,0.1,0.2,0.5,1,1,1,1,1", "webhook_poll_interval": "0.05",
}


def storage_env(settings: Settings) -> dict[str, str]:
    return {"database_url": settings.database_url, "postgres_schema": settings.postgres_schema,
            "pool_size": "2", **FAST_ENV}


def worker(tmp_path: Path, name: str, env: dict[str, str]) -> Process:
    command = [sys.executable, "-m", "service.entrypoints.cli", "worker"]
    process = Process(command, service_env(**env), tmp_path / f"{name}.log")
    process.spawn()
    return process


@pytest.fixture
def api_process(base_settings: Settings, tmp_path: Path) -> Iterator[tuple[ApiServer, dict[str, str]]]:
    env = storage_env(base_settings)
    with ApiServer(tmp_path / "api.log", run_background="false", **env) as server:
        yield server, env


def record_story(client: httpx.Client, deals: int, statements: int) -> dict[str, list[str]]:
    """Open deals and record statements on them; each deal's event ids in version order."""
    opening = {"title": "minerals", "parties": [{"party_id": "US", "name": "United States", "roles": ["proposer"]}]}
    ids: dict[str, list[str]] = {}
    for _ in range(deals):
        deal = client.post("/deals", json=opening).json()["deal_id"]
        for n in range(statements):
            assert client.post(f"/deals/{deal}/events", json=statement(f"s{n}")).status_code == 201
        ids[deal] = [e["event_id"] for e in client.get(f"/deals/{deal}/events", params={"limit": 1000}).json()["items"]]
    return ids


def check_deliveries(received: list[Received], secret: str, expected: dict[str, list[str]]) -> None:
    bodies: dict[str, bytes] = {}
    first_seen: dict[str, list[str]] = defaultdict(list)
    for request in received:
        request.verified(secret)
        assert bodies.setdefault(request.webhook_id, request.body) == request.body, "a webhook-id with another body"
        deal = request.payload["data"]["deal_id"]
        if request.webhook_id not in first_seen[deal]:
            first_seen[deal].append(request.webhook_id)
    assert dict(first_seen) == expected


def test_a_worker_killed_mid_delivery_and_restarted_delivers_every_event(
    api_process: tuple[ApiServer, dict[str, str]], tmp_path: Path
) -> None:
    server, env = api_process
    in_flight, killed = threading.Event(), threading.Event()

    def hold_the_fifth(request: Received) -> Answer:
        if len(receiver.requests) == 5:
            in_flight.set()
            killed.wait(10)
        return Answer()

    with Receiver(hold_the_fifth) as receiver, httpx.Client(base_url=server.url, timeout=10) as client:
        endpoint = client.post("/webhooks", json={"url": receiver.url}).json()
        first = worker(tmp_path, "worker-1", env)
        try:
            expected = record_story(client, deals=4, statements=2)
            assert in_flight.wait(30), first.tail()
            first.kill()
        finally:
            killed.set()
            first.stop()
        second = worker(tmp_path, "worker-2", env)
        try:
            everything = {i for ids in expected.values() for i in ids}
            wait_for(lambda: everything <= {r.webhook_id for r in receiver.received()}, timeout=30)
            wait_for(lambda: all(d["status"] == "succeeded" for d in
                                 client.get(f"/webhooks/{endpoint['id']}/deliveries",
                                            params={"limit": 500}).json()["items"]), timeout=30)
            log = client.get(f"/webhooks/{endpoint['id']}/deliveries", params={"limit": 500}).json()["items"]
        finally:
            second.stop()

        check_deliveries(receiver.received(), endpoint["secret"], expected)
        assert len(log) == len(everything)


@pytest.mark.postgres
def test_two_workers_on_postgres_deliver_each_event_once(postgres_settings: Settings, tmp_path: Path) -> None:
    env = storage_env(postgres_settings)
    with ApiServer(tmp_path / "api.log", run_background="false", **env) as server, Receiver() as receiver, \
            httpx.Client(base_url=server.url, timeout=10) as client:
        endpoint: dict[str, Any] = client.post("/webhooks", json={"url": receiver.url}).json()
        workers = [worker(tmp_path, f"worker-{n}", env) for n in (1, 2)]
        try:
            expected = record_story(client, deals=8, statements=2)
            count = sum(len(ids) for ids in expected.values())
            wait_for(lambda: len(receiver.received()) >= count, timeout=30)
            wait_for(lambda: all(d["status"] == "succeeded" for d in
                                 client.get(f"/webhooks/{endpoint['id']}/deliveries",
                                            params={"limit": 500}).json()["items"]), timeout=30)
        finally:
            for process in workers:
                process.stop()

    times = Counter(r.webhook_id for r in receiver.received())
    assert len(times) == count
    assert set(times.values()) == {1}, [i for i, n in times.items() if n > 1]
    check_deliveries(receiver.received(), endpoint["secret"], expected)
