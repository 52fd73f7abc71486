"""A new signing key on the same store takes over without breaking anything signed before it; and verification
never cries wolf while deals are being written and hashed."""

from __future__ import annotations

import itertools
import random
import threading
import time
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from pydantic import SecretStr
from typer.testing import CliRunner

from service.api.main import create_app
from service.application import DealsApplication
from service.entrypoints.cli import app as cli
from service.entrypoints.demo import record_story
from service.ledger.follower import LedgerWorker
from service.ledger.note import new_signing_key, open_note
from service.ledger.store import LedgerStore
from service.ledger.verify import verify_deal, verify_log
from service.settings import Settings, get_settings
from tests.commands import opening
from tests.ledger.helpers import ORIGIN, wait_for_checkpoint, with_ledger
from tests.projections.helpers import T0, UA, US, touch


def key_id(verifier: str) -> str:
    return verifier.split("+")[1]


@pytest.fixture
def two_keys(settings: Settings, monkeypatch: pytest.MonkeyPatch) -> Iterator[tuple[Settings, Settings]]:
    old, new = new_signing_key(), new_signing_key()
    monkeypatch.setenv("DEALS_DATABASE_URL", settings.database_url)
    monkeypatch.setenv("DEALS_POSTGRES_SCHEMA", settings.postgres_schema)
    monkeypatch.setenv("DEALS_LEDGER_ORIGIN", ORIGIN)
    monkeypatch.setenv("DEALS_LEDGER_SIGNING_KEY", new)  # the CLI runs after the rotation
    get_settings.cache_clear()
    yield (with_ledger(settings, ledger_signing_key=SecretStr(old)),
           with_ledger(settings, ledger_signing_key=SecretStr(new)))
    get_settings.cache_clear()


def test_a_new_key_takes_over_and_what_the_old_one_signed_still_verifies(
        two_keys: tuple[Settings, Settings], tmp_path: Path) -> None:
    before, after = two_keys
    with TestClient(create_app(before)) as client:
        deal_id = record_story(client)
        head = client.get("/events", params={"limit": 1000}).json()["next_after"]
        old_note = wait_for_checkpoint(client, head)
        old_key = client.get("/log/key").text.strip()
    saved = tmp_path / "old-checkpoint.txt"
    saved.write_text(old_note)

    with TestClient(create_app(after)) as client:
        new_key = client.get("/log/key").text.strip()
        deadline = time.monotonic() + 20
        while True:  # the new key signs the tree as it stands at start-up, before the log grows
            note = client.get("/log/checkpoint").text
            try:
                resigned = open_note(note, new_key)
                break
            except ValueError:
                assert time.monotonic() < deadline, note
                time.sleep(0.05)
        keys = client.get("/log/keys").json()["items"]
        verified = client.get(f"/deals/{deal_id}/verify").json()
        record_story(client)
        grown = client.get("/events", params={"limit": 1000}).json()["next_after"]
        open_note(wait_for_checkpoint(client, grown), new_key)

    assert resigned.tree_size == head
    assert [(k["verifier_key"], k["status"], k["from_tree_size"]) for k in keys] == [
        (old_key, "retired", 0), (new_key, "current", head)]
    assert verified["intact"] is True and verified["checkpoint"]["key_id"] == key_id(new_key)

    result = CliRunner().invoke(cli, ["verify", "--checkpoint", str(saved)])
    assert result.exit_code == 0, result.output
    assert f"signed by key {key_id(old_key)}" in result.output  # the saved one, by the retired key
    assert f"signed by key {key_id(new_key)}" in result.output  # the latest, by the current one
    assert "intact" in result.output and "NOT INTACT" not in result.output


def test_verifying_deals_while_they_are_written_and_hashed_raises_no_false_alarm(settings: Settings) -> None:
    ledgered = with_ledger(settings)
    app = DealsApplication(settings=ledgered)
    deals = [app.open_deal(*opening(uuid.uuid4(), f"deal {i}", T0, parties=[US, UA])).deal_id for i in range(4)]
    worker = LedgerWorker(ledgered)
    worker.start()
    store = LedgerStore(ledgered)
    stop = threading.Event()
    numbers = itertools.count()  # each statement its own id, whichever writer takes it
    written = [0]
    failures: list[BaseException] = []

    def write() -> None:
        try:
            while not stop.is_set():
                touch(app, random.choice(deals), next(numbers))
                written[0] += 1
        except BaseException as error:
            failures.append(error)
            raise

    writers = [threading.Thread(target=write) for _ in range(2)]
    for thread in writers:
        thread.start()
    alarms, checks = [], 0
    try:
        deadline = time.monotonic() + 4
        while time.monotonic() < deadline or checks < 30:
            report = verify_deal(app, store, random.choice(deals), store.latest_checkpoint())
            assert report is not None
            checks += 1
            if not report.intact:
                alarms.append(report.problems)
            if checks % 10 == 0:  # the whole log too, as `deals verify` reads it
                whole = verify_log(app, store, [])
                if not whole.intact:
                    alarms.append(whole.problems + whole.failures)
    finally:
        stop.set()
        for thread in writers:
            thread.join()
        worker.stop()
        store.close()
        app.close()
    assert not failures
    assert written[0] > 20, "the writers wrote too little to race the verifier"
    assert alarms == [], f"{len(alarms)} false alarms in {checks} checks: {alarms[:3]}"
