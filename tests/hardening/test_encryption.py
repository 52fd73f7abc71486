"""Encryption at rest: events and snapshots are stored encrypted (and compressed); a restart with the key reads
them; a wrong key, or none, stops the application at start-up with an error that says so."""

from __future__ import annotations

from pathlib import Path
from uuid import UUID

import httpx
import pytest
from eventsourcing.cryptography import AESCipher
from fastapi.testclient import TestClient
from pydantic import SecretStr

from service.api.main import create_app
from service.application import DealsApplication
from service.security.encryption import StoredEventsUnreadable
from service.settings import Settings
from tests.api.helpers import open_deal, post_events, tender
from tests.reliability.servers import ApiServer

TITLE = "US–Ukraine minerals agreement"


def keyed(settings: Settings, key: str | None, compress: bool = True) -> Settings:
    return settings.model_copy(update={"cipher_key": SecretStr(key) if key else None, "compress": compress})


def test_restart_with_the_key_reads_old_events_and_a_wrong_key_fails(settings: Settings) -> None:
    key = AESCipher.create_key(32)
    with TestClient(create_app(keyed(settings, key))) as client:
        deal = open_deal(client)
        assert post_events(client, deal["deal_id"], tender()).status_code == 201
        app = client.app.state.deals  # type: ignore[attr-defined]
        stored = app.recorder.select_events(UUID(deal["deal_id"]))
        assert len(stored) == deal["version"] + 1
        assert all(b"minerals" not in s.state and b"United States" not in s.state for s in stored)

    with TestClient(create_app(keyed(settings, key))) as client:
        read = client.get(f"/deals/{deal['deal_id']}").json()
        assert (read["title"], read["version"], read["proposal_on_table"]) == (TITLE, deal["version"] + 1, "v1")

    with pytest.raises(StoredEventsUnreadable, match="DEALS_CIPHER_KEY does not decrypt them"):
        DealsApplication(settings=keyed(settings, AESCipher.create_key(32)))
    with pytest.raises(StoredEventsUnreadable, match="written encrypted"):
        DealsApplication(settings=keyed(settings, None, compress=False))
    with pytest.raises(StoredEventsUnreadable, match="DEALS_COMPRESS does not match"):
        DealsApplication(settings=keyed(settings, key, compress=False))


def test_a_key_on_an_unencrypted_log_fails_clearly(settings: Settings) -> None:
    with TestClient(create_app(settings)) as client:
        open_deal(client)
    with pytest.raises(StoredEventsUnreadable, match="does not decrypt them"):
        DealsApplication(settings=keyed(settings, AESCipher.create_key(16), compress=False))


def test_an_empty_log_starts_with_any_key(settings: Settings) -> None:
    app = DealsApplication(settings=keyed(settings, AESCipher.create_key(24)))
    assert app.recorder.max_notification_id() is None
    app.close()


def test_snapshots_are_encrypted_too(sqlite_settings: Settings) -> None:
    with TestClient(create_app(keyed(sqlite_settings, AESCipher.create_key(32)))) as client:
        deal = open_deal(client)
        app = client.app.state.deals  # type: ignore[attr-defined]
        app.take_snapshot(UUID(deal["deal_id"]))
        snapshots = list(app.snapshots.recorder.select_events(UUID(deal["deal_id"])))
        assert [s.originator_version for s in snapshots] == [deal["version"]]
        assert b"minerals" not in snapshots[0].state
        assert app.repository.get(UUID(deal["deal_id"])).title == TITLE


def test_the_server_refuses_to_start_with_a_wrong_key(tmp_path: Path) -> None:
    database = f"sqlite:///{tmp_path}/deals.db"
    with ApiServer(tmp_path / "first.log", database_url=database, cipher_key=AESCipher.create_key(32)) as api:
        assert httpx.post(f"{api.url}/deals", json={"title": "sealed"}).status_code == 201
    wrong = ApiServer(tmp_path / "second.log", database_url=database, cipher_key=AESCipher.create_key(32))
    with pytest.raises(RuntimeError, match="DEALS_CIPHER_KEY does not decrypt them"):
        wrong.start(timeout=30)
    assert not wrong.alive


def test_a_malformed_key_is_refused_by_the_settings(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="16, 24 or 32 random bytes"):
        Settings(database_url=f"sqlite:///{tmp_path}/d.db", cipher_key="not-a-key")
