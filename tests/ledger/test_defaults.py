"""The log is kept with no setting: SQLite makes and keeps its own signing key, PostgreSQL without one keeps and
verifies the tree but signs nothing, a log kept while the ledger was off catches up, every served event carries its
leaf hash, and the old setting names still work."""

from __future__ import annotations

import base64
import json
import logging
import os
import stat
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from fastapi.testclient import TestClient
from typer.testing import CliRunner

from service.api.main import create_app
from service.entrypoints.cli import app as cli
from service.entrypoints.demo import record_story
from service.ledger import follower
from service.ledger.keys import key_file
from service.ledger.note import open_note
from service.settings import Settings, get_settings
from tests.ledger.helpers import KEY, ORIGIN, Tamper, wait_for_checkpoint
from tests.reliability.servers import ApiServer


def quick(settings: Settings, **changes: object) -> Settings:
    return settings.model_copy(update={"ledger_checkpoint_interval": 0.05, **changes})


def wait_for_leaf(client: TestClient | httpx.Client, position: int, timeout: float = 30) -> dict:
    """The inclusion proof of a position once the tree holds it."""
    deadline = time.monotonic() + timeout
    while True:
        response = client.get("/log/proof/inclusion", params={"position": position})
        if response.status_code == 200 and response.json()["tree_size"] > response.json()["leaf_index"]:
            return response.json()
        assert time.monotonic() < deadline, f"position {position} never reached the tree: {response.text}"
        time.sleep(0.05)


def test_a_fresh_sqlite_deployment_signs_with_a_key_it_made_and_keeps(sqlite_settings: Settings,
                                                                      caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.INFO, logger="service.ledger.keys")
    settings = quick(sqlite_settings)
    assert settings.ledger_signing_key is None and settings.ledger
    with TestClient(create_app(settings)) as client:
        record_story(client)
        head = client.get("/events", params={"limit": 1000}).json()["next_after"]
        note = wait_for_checkpoint(client, head)
        verifier = client.get("/log/key").text.strip()
    assert open_note(note, verifier).tree_size >= head
    made = [r.getMessage() for r in caplog.records if "made the log's signing key" in r.getMessage()]
    assert len(made) == 1 and verifier in made[0]
    path = key_file(settings)
    assert path == Path(settings.sqlite_path).with_name("deals.ledger.key")
    assert stat.S_IMODE(os.stat(path).st_mode) == 0o600

    caplog.clear()
    with TestClient(create_app(settings)) as client:
        assert client.get("/log/key").text.strip() == verifier  # a restart keeps the key
        assert client.get("/log/keys").json()["items"][0]["verifier_key"] == verifier
    assert not [r for r in caplog.records if "made the log's signing key" in r.getMessage()]


@pytest.mark.postgres
def test_postgres_without_a_key_keeps_and_verifies_the_tree_and_says_what_to_set(
        postgres_settings: Settings, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.WARNING, logger="service.ledger")
    with TestClient(create_app(quick(postgres_settings))) as client:
        deal_id = record_story(client)
        events = client.get(f"/deals/{deal_id}/events", params={"limit": 1000}).json()["items"]
        wait_for_leaf(client, events[-1]["position"])
        checkpoint = client.get("/log/checkpoint")
        key = client.get("/log/key")
        assert client.get(f"/deals/{deal_id}/verify").json()["intact"] is True
        Tamper(postgres_settings).update(deal_id, 5, b"Scott Bessent", b"Scott Bessant")
        verified = client.get(f"/deals/{deal_id}/verify").json()
    for response in (checkpoint, key):
        assert response.status_code == 404 and response.json()["code"] == "unsigned"
        assert "DEALS_LEDGER_SIGNING_KEY" in response.json()["detail"]
        assert "deals keys signing" in response.json()["detail"]
    warned = [r for r in caplog.records if "DEALS_LEDGER_SIGNING_KEY" in r.getMessage()]
    assert len(warned) == 1 and warned[0].levelno == logging.WARNING
    assert verified["intact"] is False and [p["version"] for p in verified["problems"]] == [5]
    assert verified["problems"][0]["reason"].startswith("edited")


@pytest.fixture
def cli_env(settings: Settings, monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    monkeypatch.setenv("DEALS_DATABASE_URL", settings.database_url)
    monkeypatch.setenv("DEALS_POSTGRES_SCHEMA", settings.postgres_schema)
    monkeypatch.setenv("DEALS_LEDGER_SIGNING_KEY", KEY)
    monkeypatch.setenv("DEALS_LEDGER_ORIGIN", ORIGIN)
    get_settings.cache_clear()
    yield
    get_settings.cache_clear()


def test_a_log_kept_with_the_ledger_off_is_hashed_when_it_is_turned_on(
        settings: Settings, cli_env: None, caplog: pytest.LogCaptureFixture, monkeypatch: pytest.MonkeyPatch) -> None:
    with TestClient(create_app(settings.model_copy(update={"ledger": False}))) as client:
        deal_ids = [record_story(client) for _ in range(2)]
        head = client.get("/events", params={"limit": 1000}).json()["next_after"]
        assert client.get("/log/checkpoint").json()["code"] == "log_off"

    monkeypatch.setattr(follower.CatchUp, "FAR", 0)  # the progress lines are said for any backlog
    caplog.set_level(logging.INFO, logger="service.ledger.follower")
    on = get_settings().model_copy(update={"ledger_checkpoint_interval": 0.05})
    with TestClient(create_app(on)) as client:
        wait_for_checkpoint(client, head)
        verified = [client.get(f"/deals/{deal_id}/verify").json() for deal_id in deal_ids]
    said = [r.getMessage() for r in caplog.records]
    assert any(m.startswith("the log's tree is catching up: ") and "from position 1" in m for m in said), said
    assert any(m.startswith("the log's tree caught up: ") for m in said), said
    assert all(v["intact"] for v in verified), verified

    result = CliRunner().invoke(cli, ["verify"])
    assert result.exit_code == 0, result.output
    assert f"{head:,} events re-hashed" in result.output and "intact" in result.output


def test_every_history_feed_and_stream_item_carries_the_leaf_hash_its_proof_gives(
        settings: Settings, tmp_path: Path) -> None:
    with ApiServer(tmp_path / "api.log", database_url=settings.database_url, postgres_schema=settings.postgres_schema,
                   ledger_signing_key=KEY, ledger_checkpoint_interval="0.1") as api, \
            httpx.Client(base_url=api.url, timeout=10) as client:
        deal_id = record_story(client)
        history = client.get(f"/deals/{deal_id}/events", params={"limit": 1000}).json()["items"]
        feed = client.get("/events", params={"limit": 1000}).json()["items"]
        with client.stream("GET", "/events/stream", params={"after": 0}) as response:
            lines = response.iter_lines()
            streamed = []
            while len(streamed) < len(feed):
                line = next(lines)
                if line.startswith("data: "):
                    streamed.append(json.loads(line.removeprefix("data: ")))
        proofs = {e["position"]: wait_for_leaf(client, e["position"])["leaf_hash"] for e in feed}
    assert [e["position"] for e in history] == [e["position"] for e in feed] == [e["position"] for e in streamed]
    for items in (history, feed, streamed):
        assert [e["leaf_hash"] for e in items] == [proofs[e["position"]] for e in items]
    assert all(len(base64.b64decode(h)) == 32 for h in proofs.values())


def test_the_old_setting_names_still_work_with_a_deprecation_warning(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DEALS_LOG_SIGNING_KEY", KEY)
    monkeypatch.setenv("DEALS_LOG_ORIGIN", "old.example/log")
    monkeypatch.setenv("DEALS_LOG_CHECKPOINT_INTERVAL", "2.5")
    with pytest.warns(FutureWarning) as warned:
        settings = Settings()
    said = " ".join(str(w.message) for w in warned)
    for new in ("DEALS_LEDGER_SIGNING_KEY", "DEALS_LEDGER_ORIGIN", "DEALS_LEDGER_CHECKPOINT_INTERVAL"):
        assert new in said
    assert settings.ledger_signing_key is not None and settings.ledger_signing_key.get_secret_value() == KEY
    assert (settings.ledger_origin, settings.ledger_checkpoint_interval) == ("old.example/log", 2.5)

    monkeypatch.setenv("DEALS_LEDGER_ORIGIN", "new.example/log")  # the new name wins over the old
    with pytest.warns(FutureWarning):
        assert Settings().ledger_origin == "new.example/log"
