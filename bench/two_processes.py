"""Two server processes on one PostgreSQL behind nginx, routed by deal (as deploy/nginx.conf routes them) and
round-robin, and one process behind the same nginx: the proxy's own cost is then the same on both sides."""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import tempfile
import time
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass
from pathlib import Path

from bench.server import Server, _cpu_seconds, _free_port, running_server

# The same routing as deploy/nginx.conf: the deal id from the path, hashed consistently; no id: either process.
CONFIG = """
worker_processes 1;
daemon off;
pid {tmp}/nginx.pid;
error_log {tmp}/error.log warn;
{user}
events {{ worker_connections 4096; }}
http {{
    access_log off;
    client_body_temp_path {tmp}/body;
    proxy_temp_path {tmp}/proxy;
    map $uri $deal_id {{
        default "";
        "~^/deals/(?<id>[0-9A-Fa-f-]{{32,36}})(?:/|$)" $id;
    }}
    map $deal_id $by_deal_upstream {{
        "" round_robin;
        default by_deal;
    }}
    upstream by_deal {{ hash $deal_id consistent; {servers} keepalive 64; }}
    upstream round_robin {{ {servers} keepalive 64; }}
    upstream one {{ {first} keepalive 64; }}
    proxy_http_version 1.1;
    proxy_set_header Connection "";
    server {{ listen 127.0.0.1:{by_deal}; location / {{ proxy_pass http://$by_deal_upstream; }} }}
    server {{ listen 127.0.0.1:{round_robin}; location / {{ proxy_pass http://round_robin; }} }}
    server {{ listen 127.0.0.1:{one}; location / {{ proxy_pass http://one; }} }}
}}
"""


@dataclass
class Proxy:
    """nginx in front of the servers: a URL per routing, and nginx's own CPU."""

    urls: dict[str, str]
    pid: int

    def cpu_seconds(self) -> float:
        children = [int(c) for t in Path(f"/proc/{self.pid}/task").glob("*/children") for c in t.read_text().split()]
        return sum(_cpu_seconds(pid) for pid in [self.pid, *children])


@dataclass
class Together:
    """Several servers measured as one: their CPU and memory added up."""

    servers: list[Server]

    def cpu_seconds(self) -> float:
        return sum(s.cpu_seconds() for s in self.servers)

    def rss_mb(self) -> float:
        return sum(s.rss_mb() for s in self.servers)


def nginx() -> str | None:
    return shutil.which("nginx") or next((p for p in ("/usr/sbin/nginx",) if os.path.exists(p)), None)


def ensure_nginx() -> str:
    """nginx, installed from Debian's nginx-light when it is missing (as root, with apt-get); an error that says
    so when it cannot be: the two-process figures are never left out silently."""
    binary = nginx()
    if binary is not None:
        return binary
    apt = shutil.which("apt-get")
    if apt is None or os.geteuid() != 0:
        raise RuntimeError("nginx is not installed and cannot be installed here (needs root and apt-get): "
                           "install nginx-light for the two-process figures")
    done = subprocess.run([apt, "install", "-y", "-q", "nginx-light"], capture_output=True, text=True, timeout=600,
                          env={**os.environ, "DEBIAN_FRONTEND": "noninteractive"}, check=False)
    binary = nginx()
    if done.returncode != 0 or binary is None:
        raise RuntimeError(f"installing nginx-light failed ({done.returncode}): {done.stderr.strip()[-500:]}")
    return binary


@contextmanager
def two_servers(database_url: str) -> Iterator[tuple[list[Server], Proxy]]:
    """Two server processes on the same database (started one after the other), and nginx in front."""
    binary = ensure_nginx()
    with ExitStack() as stack:
        servers = [stack.enter_context(running_server(database_url)) for _ in range(2)]
        proxy = stack.enter_context(_nginx(binary, [s.port for s in servers]))
        yield servers, proxy


@contextmanager
def _nginx(binary: str, ports: list[int]) -> Iterator[Proxy]:
    listen = {name: _free_port() for name in ("by_deal", "round_robin", "one")}
    with tempfile.TemporaryDirectory(prefix="deals-bench-nginx-") as tmp:
        servers = " ".join(f"server 127.0.0.1:{port};" for port in ports)
        config = CONFIG.format(tmp=tmp, servers=servers, first=f"server 127.0.0.1:{ports[0]};",
                               user="user root;" if os.geteuid() == 0 else "", **listen)
        Path(tmp, "nginx.conf").write_text(config)
        process = subprocess.Popen([binary, "-c", f"{tmp}/nginx.conf", "-e", f"{tmp}/error.log"],
                                   stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, start_new_session=True)
        try:
            _wait_listening(process, list(listen.values()))
            yield Proxy({name: f"http://127.0.0.1:{port}" for name, port in listen.items()}, process.pid)
        finally:
            process.send_signal(signal.SIGTERM)
            try:
                process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()


def _wait_listening(process: subprocess.Popen[bytes], ports: list[int], timeout: float = 10.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"nginx exited: {process.stderr.read().decode() if process.stderr else ''}")
        try:
            for port in ports:
                socket.create_connection(("127.0.0.1", port), timeout=1).close()
            return
        except OSError:
            time.sleep(0.05)
    raise RuntimeError("nginx did not listen in time")
