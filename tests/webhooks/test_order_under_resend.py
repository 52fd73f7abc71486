"""Per-deal order holds under manual retry and recover: while live events keep coming and deliveries are in flight
to a real (slow) receiver, retries and recovers are interleaved; each deal's deliveries to each endpoint go out one
at a time, and in version order except for one step back per manual re-send that touched that deal there."""

from __future__ import annotations

import threading
import time
from collections import defaultdict
from collections.abc import Iterator
from itertools import pairwise

import pytest
from fastapi.testclient import TestClient

from service.api.main import create_app
from service.settings import Settings
from tests.webhooks.helpers import deliveries, new_deal, record, statement, subscribe
from tests.webhooks.receiver import Answer, Received, Receiver, wait_for

ROUNDS = 8
HOLD = 0.03  # seconds each delivery stays in flight at the receiver


class Watcher:
    """The receiver's behaviour: holds each request a little, and notes overlaps of one deal at one endpoint."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.in_flight: dict[tuple[str, str], int] = defaultdict(int)
        self.overlaps: list[tuple[str, str]] = []
        self.arrivals: dict[tuple[str, str], list[int]] = defaultdict(list)

    def __call__(self, received: Received) -> Answer:
        data = received.payload["data"]
        if "deal_id" not in data:
            return Answer()
        key = (received.path, data["deal_id"])
        with self.lock:
            self.in_flight[key] += 1
            if self.in_flight[key] > 1:
                self.overlaps.append(key)
            self.arrivals[key].append(data["version"])
        time.sleep(HOLD)
        with self.lock:
            self.in_flight[key] -= 1
        return Answer()


@pytest.fixture
def watcher() -> Watcher:
    return Watcher()


@pytest.fixture
def receiver(watcher: Watcher) -> Iterator[Receiver]:
    with Receiver(watcher) as running:
        yield running


@pytest.fixture
def api(wh_settings: Settings) -> Iterator[TestClient]:
    with TestClient(create_app(wh_settings)) as client:
        yield client


def _steps_back(versions: list[int]) -> int:
    return sum(1 for before, after in pairwise(versions) if after < before)


def test_manual_retry_and_recover_keep_each_deals_order_while_live_traffic_flows(
    api: TestClient, receiver: Receiver, watcher: Watcher
) -> None:
    base = receiver.url.removesuffix("/hook")
    endpoints = {path: subscribe(api, base + path)["id"] for path in ("/a", "/b")}
    deals = [new_deal(api) for _ in range(3)]
    manual: dict[tuple[str, str], int] = defaultdict(int)  # re-sends that touched (endpoint path, deal)

    def retry_first_succeeded(path: str, deal: str) -> None:
        found = wait_for(lambda: [d for d in deliveries(api, endpoints[path], status="succeeded")
                                  if d["deal_id"] == deal])
        response = api.post(f"/webhooks/{endpoints[path]}/deliveries/{found[-1]['id']}/retry")
        assert response.status_code == 202, response.text
        manual[(path, deal)] += 1

    def recover(path: str) -> None:
        response = api.post(f"/webhooks/{endpoints[path]}/recover", json={"from_position": 1})
        assert response.status_code == 202, response.text
        for deal in deals:
            manual[(path, deal)] += 1

    for round_ in range(ROUNDS):
        for deal in deals:
            record(api, deal, statement(f"round {round_}"))
        if round_ == 1:
            retry_first_succeeded("/a", deals[0])
            retry_first_succeeded("/b", deals[1])
        if round_ == 3:
            recover("/a")
            retry_first_succeeded("/a", deals[2])
        if round_ == 5:
            recover("/b")
            retry_first_succeeded("/b", deals[0])
            retry_first_succeeded("/a", deals[0])

    for endpoint_id in endpoints.values():
        wait_for(lambda endpoint_id=endpoint_id: not deliveries(api, endpoint_id, status="pending"), timeout=60)

    assert watcher.overlaps == []
    for path in endpoints:
        for deal in deals:
            versions = watcher.arrivals[(f"{path}", deal)]
            assert set(versions) == set(range(1, max(versions) + 1)), (path, deal, versions)
            assert _steps_back(versions) <= manual[(path, deal)], (path, deal, versions, manual[(path, deal)])
