"""Concurrent HTTP clients, bounded in count and in time."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor

import httpx

from service.entrypoints.demo import OPENING

Work = Callable[[int, httpx.Client, Callable[[], bool]], None]


def run_clients(url: str | list[str], clients: int, work: Work, seconds: float, timeout: float = 30) -> None:
    """Run `work(index, client, more)` in `clients` threads that start together (client i talks to the i-th of the
    servers, round robin); `more()` turns false once the time budget is spent, and every client's loop must also be
    bounded in count."""
    urls = [url] if isinstance(url, str) else url
    start = threading.Barrier(clients)
    deadline = time.monotonic() + seconds

    def more() -> bool:
        return time.monotonic() < deadline

    def run(index: int) -> None:
        with httpx.Client(base_url=urls[index % len(urls)], timeout=timeout) as client:
            start.wait(30)
            work(index, client, more)

    with ThreadPoolExecutor(clients) as pool:
        for future in [pool.submit(run, i) for i in range(clients)]:
            future.result()


def open_deals(client: httpx.Client, count: int, title: str = "reliability") -> list[str]:
    ids = []
    for n in range(count):
        response = client.post("/deals", json={**OPENING, "title": f"{title} {n}"})
        assert response.status_code == 201, response.text
        ids.append(response.json()["deal_id"])
    return ids
