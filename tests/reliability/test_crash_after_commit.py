"""The crash between a committed write and its kept idempotent answer, for real: a `deals serve`-style server
exits at once (DEALS_TEST_FAULT=exit_after_commit) after committing a POST sent with an Idempotency-Key; restarted
without the fault, a retry with the key gets the original outcome and nothing is written twice."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import httpx
import pytest

from service.entrypoints.demo import OPENING
from service.settings import Settings
from tests.reliability.servers import ApiServer

TENDER = {"type": "proposal_tendered", "proposal_id": "v1", "tendered_by": "US", "tendered_to": ["UA"],
          "terms": ["US access to rare earth minerals"]}


def crashing_post(server: ApiServer, path: str, body: Any, key: str) -> None:
    with httpx.Client(base_url=server.url, timeout=30) as client, pytest.raises(httpx.TransportError):
        client.post(path, json=body, headers={"Idempotency-Key": key})
    server.proc.wait(timeout=30)
    assert server.proc.returncode == 70, server.tail()
    assert "exit_after_commit" in server.tail()


def test_a_keyed_write_whose_server_died_after_the_commit_answers_its_retry_once(
        settings: Settings, tmp_path: Path) -> None:
    env = {"database_url": settings.database_url, "postgres_schema": settings.postgres_schema,
           "run_background": "false"}
    faulty = ApiServer(tmp_path / "faulty.log", test_fault="exit_after_commit", **env).start()
    try:
        crashing_post(faulty, "/deals", OPENING, "open-once")
    finally:
        faulty.stop()

    with ApiServer(tmp_path / "healthy.log", **env) as healthy, \
            httpx.Client(base_url=healthy.url, timeout=30) as client:
        opened = client.post("/deals", json=OPENING, headers={"Idempotency-Key": "open-once"})
        assert opened.status_code == 201, opened.text
        assert opened.headers["idempotent-replayed"] == "true"
        deal_id = opened.json()["deal_id"]
        listed = client.get("/events", params={"limit": 1000}).json()["items"]
        assert {e["deal_id"] for e in listed} == {deal_id}  # one deal, opened once
        version = opened.json()["version"]
    healthy_head = len(listed)

    faulty = ApiServer(tmp_path / "faulty2.log", test_fault="exit_after_commit", **env).start()
    try:
        crashing_post(faulty, f"/deals/{deal_id}/events", TENDER, "tender-once")
    finally:
        faulty.stop()

    with ApiServer(tmp_path / "healthy2.log", **env) as healthy, \
            httpx.Client(base_url=healthy.url, timeout=30) as client:
        again = client.post(f"/deals/{deal_id}/events", json=TENDER, headers={"Idempotency-Key": "tender-once"})
        twice = client.post(f"/deals/{deal_id}/events", json=TENDER, headers={"Idempotency-Key": "tender-once"})
        history = client.get(f"/deals/{deal_id}/events", params={"limit": 1000}).json()["items"]
    assert again.status_code == 201, again.text
    assert again.headers["idempotent-replayed"] == "true"
    assert again.json()["version"] == version + 1 and twice.json() == again.json()
    assert len(history) == healthy_head + 1  # the tender, once
    assert [e["type"] for e in history].count("proposal_tendered") == 1
