"""The log over HTTP: signed checkpoints, proofs that verify, and a deal's verification catching tampering."""

from __future__ import annotations

import base64
import itertools
import json
from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient

from service.api.main import create_app
from service.entrypoints.demo import record_story
from service.ledger import merkle
from service.ledger.note import open_note
from service.settings import Settings
from service.wire.canonical import item_leaf_hash
from tests.ledger.helpers import ORIGIN, Tamper, wait_for_checkpoint, with_ledger


@pytest.fixture
def ledger_settings(settings: Settings) -> Settings:
    return with_ledger(settings)


@pytest.fixture
def served(ledger_settings: Settings) -> Iterator[TestClient]:
    with TestClient(create_app(ledger_settings)) as client:
        yield client


def story(client: TestClient) -> tuple[str, list[dict]]:
    deal_id = record_story(client)
    events = client.get(f"/deals/{deal_id}/events", params={"limit": 1000}).json()["items"]
    wait_for_checkpoint(client, events[-1]["position"])
    return deal_id, events


def test_checkpoint_is_a_signed_note_under_the_published_key(served: TestClient) -> None:
    _, events = story(served)
    note = served.get("/log/checkpoint")
    key = served.get("/log/key").text.strip()
    assert note.headers["content-type"].startswith("text/plain")
    lines = note.text.split("\n")
    assert lines[0] == ORIGIN and lines[3] == "" and lines[4].startswith(f"\u2014 {ORIGIN} ")
    name, key_id, public = key.split("+", 2)
    assert name == ORIGIN and len(bytes.fromhex(key_id)) == 4 and base64.b64decode(public)[0] == 1
    checkpoint = open_note(note.text, key)
    feed = served.get("/events", params={"limit": 1000}).json()["items"]
    assert checkpoint.tree_size == len(feed) >= len(events)
    assert checkpoint.root == merkle.mth([item_leaf_hash(json.dumps(item).encode()) for item in feed])
    listed = served.get("/log/checkpoints").json()["items"]
    assert listed[0]["checkpoint"] == note.text and all(
        a["tree_size"] > b["tree_size"] for a, b in itertools.pairwise(listed))


def test_inclusion_and_consistency_proofs_verify(served: TestClient) -> None:
    _, events = story(served)
    checkpoint = open_note(served.get("/log/checkpoint").text, served.get("/log/key").text)
    old = served.get("/log/checkpoints").json()["items"][-1]
    for event in events:
        proof = served.get("/log/proof/inclusion", params={"position": event["position"]}).json()
        leaf = base64.b64decode(proof["leaf_hash"])
        assert leaf == item_leaf_hash(json.dumps(event).encode())
        assert merkle.verify_inclusion(proof["leaf_index"], proof["tree_size"], leaf,
                                       [base64.b64decode(h) for h in proof["hashes"]], checkpoint.root)
    first = old["tree_size"]
    hashes = served.get("/log/proof/consistency", params={"from": first, "to": checkpoint.tree_size}).json()["hashes"]
    assert merkle.verify_consistency(first, checkpoint.tree_size, base64.b64decode(old["root_hash"]),
                                     checkpoint.root, [base64.b64decode(h) for h in hashes])


def test_a_tree_size_beyond_the_log_is_a_4xx_problem(served: TestClient) -> None:
    _, events = story(served)
    beyond = events[-1]["position"] + 5
    for response in (served.get("/log/proof/inclusion", params={"position": 1, "tree_size": beyond}),
                     served.get("/log/proof/consistency", params={"from": 1, "to": beyond})):
        assert response.status_code == 422 and response.headers["content-type"] == "application/problem+json"
        assert response.json()["code"] == "beyond_log"
    unknown = served.get("/log/proof/inclusion", params={"position": beyond})
    assert unknown.status_code == 404 and unknown.json()["code"] == "not_in_log"


def test_an_untouched_deal_verifies(served: TestClient) -> None:
    deal_id, events = story(served)
    body = served.get(f"/deals/{deal_id}/verify").json()
    key_id = served.get("/log/key").text.strip().split("+")[1]
    checkpoint = body.pop("checkpoint")
    assert body == {"deal_id": deal_id, "intact": True, "version": events[-1]["version"], "problems": []}
    assert checkpoint["key_id"] == key_id and checkpoint["tree_size"] >= events[-1]["position"]


def _problems(client: TestClient, deal_id: str) -> dict[int, str]:
    body = client.get(f"/deals/{deal_id}/verify").json()
    assert body["intact"] is not bool(body["problems"])
    return {p["version"]: p["reason"] for p in body["problems"]}


def test_an_updated_event_is_caught(served: TestClient, ledger_settings: Settings) -> None:
    deal_id, _ = story(served)
    Tamper(ledger_settings).update(deal_id, 5, b"Scott Bessent", b"Scott Bessant")
    problems = _problems(served, deal_id)
    assert list(problems) == [5] and problems[5].startswith("edited")


def test_a_deleted_event_is_caught(served: TestClient, ledger_settings: Settings) -> None:
    deal_id, events = story(served)
    Tamper(ledger_settings).delete(deal_id, 6)
    problems = _problems(served, deal_id)
    assert list(problems) == [6] and problems[6].startswith("deleted")
    last = events[-1]["version"]
    Tamper(ledger_settings).delete(deal_id, last)  # the deal's last event: its leaf still names it
    assert _problems(served, deal_id)[last].startswith("deleted")


def test_an_inserted_event_is_caught(served: TestClient, ledger_settings: Settings) -> None:
    deal_id, events = story(served)
    forged = events[-1]["version"] + 1
    Tamper(ledger_settings).insert(deal_id, copy_of=4, version=forged, position=0)  # a position the log passed
    problems = _problems(served, deal_id)
    assert list(problems) == [forged] and problems[forged].startswith("inserted")


def test_moved_events_are_caught(served: TestClient, ledger_settings: Settings) -> None:
    deal_id, _ = story(served)
    Tamper(ledger_settings).swap(deal_id, 7, 8)
    problems = _problems(served, deal_id)
    assert sorted(problems) == [7, 8] and all(reason.startswith("moved") for reason in problems.values())


def test_with_the_ledger_off_the_log_answers_404_log_off(settings: Settings) -> None:
    with TestClient(create_app(settings.model_copy(update={"ledger": False}))) as client:
        response = client.get("/log/checkpoint")
        verified = client.get(f"/deals/{record_story(client)}/verify")
    assert response.status_code == 404 and response.json()["code"] == "log_off"
    assert verified.status_code == 404 and verified.json()["code"] == "log_off"


def test_with_encryption_at_rest_the_plaintext_is_hashed_and_tampering_caught(settings: Settings) -> None:
    from eventsourcing.cryptography import AESCipher
    from pydantic import SecretStr

    encrypted = with_ledger(settings, cipher_key=SecretStr(AESCipher.create_key(32)), compress=True)
    with TestClient(create_app(encrypted)) as client:
        deal_id, events = story(client)
        tamper = Tamper(encrypted)
        assert b"Bessent" not in tamper.state(deal_id, 5)
        leaf = base64.b64decode(client.get("/log/proof/inclusion", params={"position": events[4]["position"]}).json()[
            "leaf_hash"])
        assert leaf == item_leaf_hash(json.dumps(events[4]).encode())  # the plaintext item's hash
        assert _problems(client, deal_id) == {}
        ciphertext = tamper.state(deal_id, 5)
        tamper.update(deal_id, 5, ciphertext[-4:], bytes(b ^ 1 for b in ciphertext[-4:]))
        tamper.delete(deal_id, 6)
        problems = _problems(client, deal_id)
    assert sorted(problems) == [5, 6] and problems[5].startswith("edited") and problems[6].startswith("deleted")
