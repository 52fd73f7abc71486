"""The real server in a subprocess, and fresh databases for it (loopback only)."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlparse, urlunparse

import httpx
import psycopg

ROOT = Path(__file__).resolve().parent.parent
DEFAULT_POSTGRES_URL = "postgresql://postgres@127.0.0.1:5432/postgres"


def postgres_admin_url() -> str:
    return os.environ.get("DEALS_BENCH_POSTGRES_URL", DEFAULT_POSTGRES_URL)


@contextmanager
def fresh_database(backend: str) -> Iterator[str]:
    """A DEALS_DATABASE_URL for an empty database: a new SQLite file, or a new PostgreSQL database dropped after."""
    if backend == "sqlite":
        with tempfile.TemporaryDirectory(prefix="deals-bench-") as tmp:
            yield f"sqlite:///{tmp}/deals.db"
        return
    admin = postgres_admin_url()
    name = f"deals_bench_{uuid.uuid4().hex[:12]}"
    with admin_connection(admin) as conn:
        conn.execute(f"CREATE DATABASE {name}")
    try:
        yield urlunparse(urlparse(admin)._replace(path=f"/{name}"))
    finally:
        with admin_connection(admin) as conn:
            conn.execute(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")


def admin_connection(url: str, patience: float = 120.0) -> psycopg.Connection[Any]:
    """A connection, waiting while the server has no slot free (the test suites of others share it)."""
    deadline = time.monotonic() + patience
    while True:
        try:
            return psycopg.connect(url, autocommit=True, connect_timeout=5)
        except psycopg.OperationalError as error:
            if "too many clients" not in str(error) or time.monotonic() > deadline:
                raise
            time.sleep(1)


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@dataclass
class Server:
    url: str
    port: int
    process: subprocess.Popen[bytes]
    log: Path

    @property
    def pid(self) -> int:
        return self.process.pid

    def rss_mb(self) -> float:
        """Resident memory of the server and its worker processes, from /proc (Linux)."""
        return sum(_rss_kb(pid) for pid in [self.pid, *_children(self.pid)]) / 1024


    def cpu_seconds(self) -> float:
        """CPU time (user + system) used so far by the server and its worker processes."""
        return sum(_cpu_seconds(pid) for pid in [self.pid, *_children(self.pid)])


def _cpu_seconds(pid: int) -> float:
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except FileNotFoundError:
        return 0.0
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def _children(pid: int) -> list[int]:
    found = []
    for task in Path(f"/proc/{pid}/task").glob("*/children"):
        found += [int(child) for child in task.read_text().split()]
    return found


def _rss_kb(pid: int) -> int:
    try:
        lines = Path(f"/proc/{pid}/status").read_text().splitlines()
    except FileNotFoundError:
        return 0
    return next((int(line.split()[1]) for line in lines if line.startswith("VmRSS:")), 0)


def server_env(database_url: str, **env: str) -> dict[str, str]:
    # As `deals serve` runs it (GC tuning on), with background work off unless asked for.
    settings = {"DEALS_DATABASE_URL": database_url, "DEALS_RUN_BACKGROUND": "false", "DEALS_GC_TUNING": "true"}
    for key, value in env.items():
        key = key.upper()
        settings[key if key.startswith("DEALS_") else f"DEALS_{key}"] = str(value)
    return settings


@contextmanager
def running_server(database_url: str, workers: int = 1, app: str = "service.api.main:create_app",
                   **env: str) -> Iterator[Server]:
    """uvicorn serving the API (`app`, an app factory) on a free loopback port; DEALS_* settings from `env`
    (background work off unless set)."""
    port = _free_port()
    path = os.pathsep.join(p for p in (str(ROOT), os.environ.get("PYTHONPATH")) if p)
    environment = {**os.environ, **server_env(database_url, **env), "PYTHONPATH": path}
    command = [sys.executable, "-m", "uvicorn", app, "--factory", "--host", "127.0.0.1",
               "--port", str(port), "--log-level", "warning", "--no-access-log", "--workers", str(workers)]
    # The server's own output (access logs included) goes to a file, shown only when it fails to start.
    log = tempfile.NamedTemporaryFile(prefix="deals-bench-server-", suffix=".log", delete=False)  # noqa: SIM115
    process = subprocess.Popen(command, cwd=ROOT, env=environment, start_new_session=True, stdout=log,
                               stderr=subprocess.STDOUT)
    server = Server(f"http://127.0.0.1:{port}", port, process, Path(log.name))
    try:
        try:
            _wait_ready(server)
        except RuntimeError:
            sys.stderr.write(server.log.read_text()[-4000:])
            raise
        yield server
    finally:
        _stop(process)
        log.close()
        server.log.unlink(missing_ok=True)


def _wait_ready(server: Server, timeout: float = 60.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if server.process.poll() is not None:
            raise RuntimeError(f"the server exited with {server.process.returncode}")
        try:
            if httpx.get(f"{server.url}/openapi.json", timeout=2).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.1)
    raise RuntimeError(f"the server did not answer within {timeout} s")


def _stop(process: subprocess.Popen[bytes]) -> None:
    if process.poll() is None:
        os.killpg(process.pid, signal.SIGTERM)
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait()
