"""Real processes for the reliability suites: the API under uvicorn, on a free loopback port."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parents[2]
SPAWNED: list[Process] = []  # this test's processes, whose log tails go into its report when it fails


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def service_env(**deals: str) -> dict[str, str]:
    """This process's environment without any DEALS_* setting, plus the given ones (DEALS_ prefix added)."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("DEALS_")}
    env.update({f"DEALS_{k.upper()}": str(v) for k, v in deals.items()})
    env["PYTHONUNBUFFERED"] = "1"
    return env


class Process:
    """A child process whose output goes to a log file; start, kill -9, stop, restart."""

    def __init__(self, args: list[str], env: dict[str, str], log: Path) -> None:
        self.args, self.env, self.log = args, env, log
        self.proc: subprocess.Popen[bytes] | None = None

    def spawn(self) -> None:
        if self not in SPAWNED:
            SPAWNED.append(self)
        with self.log.open("ab") as out:
            self.proc = subprocess.Popen(self.args, env=self.env, cwd=ROOT, stdout=out, stderr=subprocess.STDOUT)

    @property
    def alive(self) -> bool:
        return self.proc is not None and self.proc.poll() is None

    def kill(self) -> None:
        """SIGKILL: no shutdown hooks run, in-flight requests are cut off."""
        if self.proc is not None and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGKILL)
            self.proc.wait(10)

    def stop(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(15)
            except subprocess.TimeoutExpired:
                self.kill()

    def tail(self, lines: int = 40) -> str:
        """The last lines logged, leaving out the access log (a line per request)."""
        try:
            logged = self.log.read_text(errors="replace").splitlines()
        except OSError:
            return ""
        return "\n".join([line for line in logged if '"deals.access"' not in line][-lines:])


class ApiServer(Process):
    """The deals API under uvicorn, configured through DEALS_* variables."""

    def __init__(self, log: Path, port: int | None = None, **deals: str) -> None:
        self.port = port or free_port()
        args = [sys.executable, "-m", "uvicorn", "service.api.main:create_app", "--factory", "--host", "127.0.0.1",
                "--port", str(self.port), "--log-level", "warning", "--no-access-log"]
        super().__init__(args, service_env(**deals), log)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self, timeout: float = 60) -> ApiServer:
        self.spawn()
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if not self.alive:
                raise RuntimeError(f"the API exited at start:\n{self.tail()}")
            try:
                if httpx.get(f"{self.url}/openapi.json", timeout=2).status_code == 200:
                    return self
            except httpx.HTTPError:
                pass
            time.sleep(0.1)
        self.kill()
        raise RuntimeError(f"the API did not answer within {timeout}s:\n{self.tail()}")

    def restart(self) -> ApiServer:
        self.kill()
        return self.start()

    def __enter__(self) -> ApiServer:
        return self.start()

    def __exit__(self, *_: object) -> None:
        self.stop()
