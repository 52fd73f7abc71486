"""`deals serve` without API keys: open on loopback (and it says so), refused on any other address."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import httpx

from service.security.keys import KeyRing, hash_key, is_loopback, open_bind_refusal
from tests.hardening.serving import deals_serve, wait_until_up
from tests.reliability.servers import ROOT, service_env


def serve(tmp_path: Path, *args: str, **deals: str) -> subprocess.CompletedProcess[str]:
    env = service_env(database_url=f"sqlite:///{tmp_path}/deals.db", **deals)
    return subprocess.run([sys.executable, "-m", "service.entrypoints.cli", "serve", *args], env=env, cwd=ROOT,
                          capture_output=True, text=True, timeout=60)


def test_serve_refuses_a_public_address_without_keys(tmp_path: Path) -> None:
    done = serve(tmp_path, "--host", "0.0.0.0", "--port", "1")
    assert done.returncode == 2
    assert "refusing to serve on 0.0.0.0 without API keys" in " ".join(done.stdout.split())


def test_serve_refuses_keys_it_cannot_read(tmp_path: Path) -> None:
    done = serve(tmp_path, "--port", "1", api_keys="not-a-hash deals:read")
    assert done.returncode == 2
    assert "SHA-256" in done.stdout


def test_serve_on_loopback_without_keys_runs_open_and_says_so(tmp_path: Path) -> None:
    process, url = deals_serve(tmp_path)
    try:
        wait_until_up(url, process)
        assert httpx.post(f"{url}/deals", json={"title": "open"}).status_code == 201
    finally:
        process.stop()
    said = " ".join(process.tail(200).split())
    assert said.count("the API is OPEN") == 1, said
    assert "no API keys configured: the API is OPEN to anyone who can reach it; serve it on loopback only" in said


def test_with_several_workers_every_scrape_counts_every_workers_requests(tmp_path: Path) -> None:
    process, url = deals_serve(tmp_path, "--workers", "2")
    try:
        wait_until_up(url, process)
        for _ in range(40):  # a new connection each: the two workers take them as they come
            assert httpx.get(f"{url}/healthz").status_code == 200
        scrapes = [httpx.get(f"{url}/metrics").text for _ in range(6)]
    finally:
        process.stop()
    pattern = r'^deals_http_request_duration_seconds_count\{[^}]*route="/healthz"[^}]*status="200"[^}]*\} (\S+)$'
    counts = [sum(float(n) for n in re.findall(pattern, text, re.MULTILINE)) for text in scrapes]
    assert all(count >= 40 for count in counts), counts  # not the share of whichever worker answered the scrape


def test_only_loopback_may_run_open() -> None:
    assert all(is_loopback(h) for h in ("127.0.0.1", "127.8.9.10", "::1", "[::1]", "localhost"))
    assert not any(is_loopback(h) for h in ("0.0.0.0", "::", "10.0.0.1", "example.org"))
    assert open_bind_refusal("127.0.0.1", KeyRing()) is None
    assert all(open_bind_refusal(host, KeyRing()) for host in ("0.0.0.0", "::", "192.0.2.10"))
    keyed = KeyRing.load(f"{hash_key('k')} deals:read", None)
    assert open_bind_refusal("0.0.0.0", keyed) is None
