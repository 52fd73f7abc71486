"""The README's counterparty recipe, run exactly as written, against the API under uvicorn (SQLite and PostgreSQL):
it verifies a checkpoint's signature, an inclusion proof and a consistency proof; and it refuses a forged note."""

from __future__ import annotations

import re
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from cryptography.exceptions import InvalidSignature

from service.entrypoints.demo import record_story
from service.settings import Settings
from tests.ledger.helpers import KEY, ORIGIN
from tests.reliability.servers import ApiServer

README = Path(__file__).resolve().parents[2] / "README.md"


def recipe() -> str:
    text = README.read_text()
    start = text.index("**A counterparty's recipe**")
    code = re.search(r"```python\n(.*?)```", text[start:], re.S)
    assert code is not None
    return code.group(1)


@pytest.fixture
def server(settings: Settings, tmp_path: Path) -> Iterator[ApiServer]:
    api = ApiServer(tmp_path / "api.log", database_url=settings.database_url, postgres_schema=settings.postgres_schema,
                    ledger_signing_key=KEY, ledger_origin=ORIGIN, ledger_checkpoint_interval="0.1")
    api.start()
    try:
        yield api
    finally:
        api.stop()


def checkpoint_of(client: httpx.Client, size: int) -> str:
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        response = client.get("/log/checkpoint")
        if response.status_code == 200 and int(response.text.split("\n")[1]) >= size:
            return response.text
        time.sleep(0.1)
    raise AssertionError(f"no checkpoint of {size} events")


def run_recipe(monkeypatch: pytest.MonkeyPatch, tmp_path: Path, url: str, deal_id: str, key: str) -> None:
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("DEALS_URL", url)
    monkeypatch.setenv("DEAL_ID", deal_id)
    monkeypatch.setenv("DEALS_LOG_KEY", key)
    exec(compile(recipe(), "README recipe", "exec"), {"__name__": "recipe"})


def test_the_readme_recipe_verifies_the_running_service(server: ApiServer, tmp_path: Path,
                                                        monkeypatch: pytest.MonkeyPatch) -> None:
    assert len(recipe().strip().splitlines()) <= 30
    with httpx.Client(base_url=server.url, timeout=30) as client:
        record_story(client)
        (tmp_path / "checkpoint.txt").write_text(checkpoint_of(client, 1))
        saved_size = int((tmp_path / "checkpoint.txt").read_text().split("\n")[1])
        deal_id = record_story(client)
        head = client.get("/events", params={"limit": 1000}).json()["next_after"]
        checkpoint_of(client, head)
        key = client.get("/log/key").text.strip()
    assert saved_size < head
    run_recipe(monkeypatch, tmp_path, server.url, deal_id, key)

    forged = (tmp_path / "checkpoint.txt").read_text().replace(f"\n{saved_size}\n", f"\n{saved_size - 1}\n")
    (tmp_path / "checkpoint.txt").write_text(forged)
    with pytest.raises(InvalidSignature):
        run_recipe(monkeypatch, tmp_path, server.url, deal_id, key)
