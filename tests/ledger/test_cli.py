"""`deals verify` names every tampered deal and version, and a saved checkpoint catches a rolled-back log."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from typer.testing import CliRunner

from service.api.main import create_app
from service.entrypoints.cli import app as cli
from service.entrypoints.demo import record_story
from service.ledger.note import open_note
from service.ledger.store import LedgerStore
from service.settings import Settings, get_settings
from tests.ledger.helpers import KEY, ORIGIN, Tamper, wait_for_checkpoint, with_ledger


@pytest.fixture
def configured(settings: Settings, monkeypatch: pytest.MonkeyPatch) -> Iterator[Settings]:
    for name, value in (("DATABASE_URL", settings.database_url), ("POSTGRES_SCHEMA", settings.postgres_schema),
                        ("LEDGER_SIGNING_KEY", KEY), ("LEDGER_ORIGIN", ORIGIN)):
        monkeypatch.setenv(f"DEALS_{name}", value)
    get_settings.cache_clear()
    yield with_ledger(settings)
    get_settings.cache_clear()


def recorded(settings: Settings, deals: int = 2) -> tuple[list[str], str]:
    """Deals recorded and hashed into a checkpoint, the service then stopped; (deal ids, the checkpoint)."""
    with TestClient(create_app(settings)) as client:
        deal_ids = [record_story(client) for _ in range(deals)]
        head = client.get("/events", params={"limit": 1000}).json()["next_after"]
        note = wait_for_checkpoint(client, head)
    return deal_ids, note


def verify(*args: str) -> tuple[int, str]:
    result = CliRunner().invoke(cli, ["verify", *args])
    return result.exit_code, result.output


def test_an_untouched_log_is_intact(configured: Settings, tmp_path: Path) -> None:
    _, note = recorded(configured)
    saved = tmp_path / "checkpoint.txt"
    saved.write_text(note)
    code, output = verify("--checkpoint", str(saved))
    assert code == 0, output
    assert "intact" in output and "events re-hashed" in output


def test_update_delete_insert_and_move_are_each_named(configured: Settings) -> None:
    (first, second), _ = recorded(configured)
    tamper = Tamper(configured)
    tamper.update(first, 5, b"Scott Bessent", b"Scott Bessant")
    tamper.delete(first, 6)
    tamper.insert(second, copy_of=4, version=99, position=0)
    tamper.swap(second, 7, 8)

    code, output = verify()

    assert code == 1, output
    lines = [line for line in output.splitlines() if line.startswith("deal ")]
    assert sorted(lines) == sorted([
        f"deal {first} version 5: edited: the stored event at position 5 is not the one the log holds",
        f"deal {first} version 6: deleted: the log holds it at position 6, the store no longer does",
        f"deal {second} version 99: inserted: stored at position 0, which the log passed without it",
        f"deal {second} version 7: moved: the log holds it at position {13 + 7}, the store at {13 + 8}",
        f"deal {second} version 8: moved: the log holds it at position {13 + 8}, the store at {13 + 7}",
    ]), output
    assert "the first" in output and "do not hash to its root" in output

    code, output = verify("--deal", second)
    assert code == 1 and f"deal {second} version 99: inserted" in output and str(first) not in output


def test_a_saved_checkpoint_catches_a_log_rolled_back_with_its_ledger(configured: Settings, tmp_path: Path) -> None:
    (deal_id, _), note = recorded(configured)
    saved = tmp_path / "checkpoint.txt"
    saved.write_text(note)
    size = open_note(note, _verifier()).tree_size
    tamper = Tamper(configured)
    for version in (12, 13):  # the second deal's last events, and every trace of them in the ledger
        tamper.delete(_second(configured, deal_id), version)
    _forget_leaves(configured, size - 2)

    assert verify()[0] == 0  # the operator's own checkpoints were rolled back too
    code, output = verify("--checkpoint", str(saved))
    assert code == 1, output
    assert f"it covers {size} events, the store holds {size - 2}: the log was rolled back or truncated" in output


def _verifier() -> str:
    from service.ledger.keys import LogKey

    key = LogKey.from_settings(get_settings())
    assert key is not None
    return key.verifier


def _second(settings: Settings, first: str) -> str:
    store = LedgerStore(settings)
    try:
        return str(next(leaf[2] for leaf in store.leaves_page(-1, 1000) if str(leaf[2]) != first))
    finally:
        store.close()


def _forget_leaves(settings: Settings, keep: int) -> None:
    """Rewrite the ledger as if the log had only ever had `keep` events."""
    store = LedgerStore(settings)
    try:
        with store._tx() as c:
            c.execute(f"DELETE FROM {store.leaves} WHERE leaf_index >= ?", (keep,))
            c.execute(f"DELETE FROM {store.nodes} WHERE (idx + 1) * (1 << level) > ?", (keep,))
            c.execute(f"DELETE FROM {store.checkpoints} WHERE tree_size > ?", (keep,))
    finally:
        store.close()
