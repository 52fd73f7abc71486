"""`deals serve` as a child process on a free loopback port."""

from __future__ import annotations

import sys
import time
from pathlib import Path

import httpx

from tests.reliability.servers import Process, free_port, service_env


def deals_serve(tmp_path: Path, *args: str, **deals: str) -> tuple[Process, str]:
    port = free_port()
    env = service_env(database_url=f"sqlite:///{tmp_path}/deals.db", **deals)
    command = [sys.executable, "-m", "service.entrypoints.cli", "serve", "--port", str(port), *args]
    process = Process(command, env, tmp_path / "serve.log")
    process.spawn()
    return process, f"http://127.0.0.1:{port}"


def wait_until_up(url: str, process: Process, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        assert process.alive, process.tail()
        try:
            if httpx.get(f"{url}/healthz", timeout=1).status_code == 200:
                return
        except httpx.HTTPError:
            time.sleep(0.1)
    raise AssertionError(f"{url} did not come up:\n{process.tail()}")
