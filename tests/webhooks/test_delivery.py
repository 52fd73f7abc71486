"""Delivery end to end: events recorded through the API reach a real receiver on loopback, signed, filtered, in
order per deal, retried, and recoverable. The outbox and the sender run in the API's process (background)."""

from __future__ import annotations

import json
from collections import defaultdict
from collections.abc import Iterator
from datetime import datetime

import pytest
from fastapi.testclient import TestClient

from service.api.main import create_app
from service.settings import Settings
from tests.webhooks.conftest import fast
from tests.webhooks.helpers import deliveries, event_ids, new_deal, record, statement, subscribe
from tests.webhooks.receiver import Answer, Received, Receiver, wait_for


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    with Receiver() as running:
        yield running


def ids(received: list[Received]) -> list[str]:
    return [r.webhook_id for r in received]


def test_every_event_arrives_signed_with_its_envelope_and_the_deal_after_it(
    api: TestClient, receiver: Receiver
) -> None:
    endpoint = subscribe(api, receiver.url)
    deal = new_deal(api)
    [event] = record(api, deal, statement("short-sighted"))

    wait_for(lambda: len(receiver.deal_events()) == 4)

    arrived = receiver.deal_events()
    assert ids(arrived) == event_ids(api, deal)
    last = arrived[-1]
    body = last.verified(endpoint["secret"])
    assert last.webhook_id == event["event_id"] == body["data"]["event_id"]
    assert body["type"] == "deal.statement_recorded"
    assert datetime.fromisoformat(body["timestamp"]) == datetime.fromisoformat(event["occurred_at"])
    assert {k: body["data"][k] for k in ("deal_id", "version", "position", "type")} == {
        "deal_id": deal, "version": 4, "position": event["position"], "type": "statement_recorded"}
    assert body["data"]["data"]["quote"] == "short-sighted"
    assert body["data"]["deal"]["status"] == "draft"
    assert body["data"]["deal"]["awaiting"]["party_ids"] == ["US"]
    assert last.headers["content-type"] == "application/json"
    assert last.body == json.dumps(body, separators=(",", ":"), ensure_ascii=False).encode()


def test_during_a_rotation_deliveries_carry_both_signatures(api: TestClient, receiver: Receiver) -> None:
    endpoint = subscribe(api, receiver.url)
    rotated = api.post(f"/webhooks/{endpoint['id']}/rotate-secret").json()
    deal = new_deal(api)

    first = wait_for(lambda: receiver.deal_events())[0]

    assert len(first.headers["webhook-signature"].split(" ")) == 2
    first.verified(rotated["secret"])
    first.verified(endpoint["secret"])
    finished = api.post(f"/webhooks/{endpoint['id']}/rotate-secret", json={"grace_period_seconds": 0}).json()
    record(api, deal, statement("after the grace period"))
    latest = wait_for(lambda: [r for r in receiver.deal_events() if b"after the grace" in r.body])[0]
    assert len(latest.headers["webhook-signature"].split(" ")) == 1
    latest.verified(finished["secret"])


def test_filters_pick_event_types_with_wildcards_and_deal_ids(api: TestClient, receiver: Receiver) -> None:
    statements = subscribe(api, receiver.url + "/statements", event_types=["deal.statement_recorded"])
    deal_a, deal_b = new_deal(api), new_deal(api)
    only_b = subscribe(api, receiver.url + "/b", event_types=["deal.*"], deal_ids=[deal_b])
    everything = subscribe(api, receiver.url + "/all")
    a_events = record(api, deal_a, statement("a"))
    b_events = record(api, deal_b, statement("b"))

    wait_for(lambda: len([r for r in receiver.received() if r.path == "/hook/b"]) == 1)
    wait_for(lambda: len([r for r in receiver.received() if r.path == "/hook/statements"]) == 2)
    wait_for(lambda: len([r for r in receiver.received() if r.path == "/hook/all"]) == 2)

    by_path = defaultdict(list)
    for r in receiver.received():
        by_path[r.path].append(r.webhook_id)
    assert sorted(by_path["/hook/statements"]) == sorted([a_events[0]["event_id"], b_events[0]["event_id"]])
    assert by_path["/hook/b"] == [b_events[0]["event_id"]]
    assert sorted(by_path["/hook/all"]) == sorted([a_events[0]["event_id"], b_events[0]["event_id"]])
    for endpoint in (statements, only_b, everything):
        wait_for(lambda e=endpoint: all(d["status"] == "succeeded" for d in deliveries(api, e["id"])))


def test_a_failing_event_holds_back_later_events_of_its_deal_only(api: TestClient, receiver: Receiver) -> None:
    subscribe(api, receiver.url)
    held, free = new_deal(api), new_deal(api)
    wait_for(lambda: len(receiver.deal_events()) == 6)
    failures = {"left": 3}

    def fail_the_first_statement_of_held(request: Received) -> Answer:
        if request.payload["data"]["deal_id"] == held and request.payload["data"]["version"] == 4 and failures["left"]:
            failures["left"] -= 1
            return Answer(503, b"not now")
        return Answer()

    receiver.behaviour = fail_the_first_statement_of_held
    for n in range(3):
        record(api, held, statement(f"held {n}"))
        record(api, free, statement(f"free {n}"))

    wait_for(lambda: len({r.webhook_id for r in receiver.deal_events()}) == 12)

    arrived = receiver.deal_events()[6:]
    held_versions = [r.payload["data"]["version"] for r in arrived if r.payload["data"]["deal_id"] == held]
    assert held_versions == [4, 4, 4, 4, 5, 6]
    free_versions = [r.payload["data"]["version"] for r in arrived if r.payload["data"]["deal_id"] == free]
    assert free_versions == [4, 5, 6]
    held_success = [i for i, r in enumerate(arrived) if r.payload["data"]["deal_id"] == held][3]
    free_done = max(i for i, r in enumerate(arrived) if r.payload["data"]["deal_id"] == free)
    assert free_done < held_success, "the other deal's events did not wait for the failing one"


def test_a_receiver_that_fails_then_recovers_gets_everything_in_order(api: TestClient, receiver: Receiver) -> None:
    endpoint = subscribe(api, receiver.url)
    receiver.behaviour = lambda r: Answer(500, b"down") if len(receiver.requests) <= 4 else Answer()
    deals = [new_deal(api) for _ in range(2)]
    for deal in deals:
        record(api, deal, statement("one"), statement("two"))

    expected = {deal: event_ids(api, deal) for deal in deals}
    everything = {event for events in expected.values() for event in events}
    # Wait for the receiver to hold every event too: once, in CI under load, the ten deliveries read as succeeded while
    # the receiver held one event of the first deal (not understood yet). Were events lost, this wait times out.
    wait_for(lambda: all(d["status"] == "succeeded" for d in deliveries(api, endpoint["id"]))
             and len(deliveries(api, endpoint["id"])) == 10
             and everything <= {r.webhook_id for r in receiver.deal_events()})

    arrived = receiver.deal_events()
    for deal in deals:
        seen = [r.webhook_id for r in arrived if r.payload["data"]["deal_id"] == deal]
        assert list(dict.fromkeys(seen)) == expected[deal]
        versions = [r.payload["data"]["version"] for r in arrived if r.payload["data"]["deal_id"] == deal]
        assert versions == sorted(versions)
    log = deliveries(api, endpoint["id"])
    assert any(a["status_code"] == 500 and a["response_body"] == "down" for d in log for a in d["attempts"])


def test_410_gone_disables_the_endpoint_and_its_deliveries_wait_for_enable(
    api: TestClient, receiver: Receiver
) -> None:
    endpoint = subscribe(api, receiver.url)
    receiver.behaviour = lambda r: Answer(410, b"gone")
    deal = new_deal(api)

    disabled = wait_for(lambda: (e := api.get(f"/webhooks/{endpoint['id']}").json()) and not e["enabled"] and e)

    assert "410" in disabled["disabled_reason"]
    assert disabled["notices"][0]["type"] == "webhook.endpoint_disabled"
    assert {d["status"] for d in deliveries(api, endpoint["id"])} == {"pending"}
    receiver.behaviour = lambda r: Answer()
    api.post(f"/webhooks/{endpoint['id']}/enable")
    wait_for(lambda: [d["status"] for d in deliveries(api, endpoint["id"])] == ["succeeded"] * 3)
    assert list(dict.fromkeys(r.webhook_id for r in receiver.received()))[:3] == event_ids(api, deal)


def test_a_slow_receiver_times_out_and_the_attempt_says_so(base_settings: Settings, receiver: Receiver) -> None:
    receiver.behaviour = lambda r: Answer(200, delay=1.5)
    settings = fast(base_settings, webhook_timeout=0.3, webhook_retry_schedule=[0, 0.05])
    with TestClient(create_app(settings)) as api:
        endpoint = subscribe(api, receiver.url, event_types=["deal.deal_opened"])
        new_deal(api)

        [delivery] = wait_for(lambda: [d for d in deliveries(api, endpoint["id"]) if d["status"] == "failed"])

    assert [(a["status_code"], a["error"]) for a in delivery["attempts"]] == [(None, "timeout")] * 2
    assert delivery["finished_at"] is not None
    assert delivery["next_attempt_at"] is None


def test_retry_after_pushes_the_next_attempt_back(api: TestClient, receiver: Receiver) -> None:
    receiver.behaviour = lambda r: Answer(429, b"slow down", {"Retry-After": "1"}) if len(receiver.requests) == 1 \
        else Answer()
    endpoint = subscribe(api, receiver.url, event_types=["deal.deal_opened"])
    new_deal(api)

    [delivery] = wait_for(lambda: [d for d in deliveries(api, endpoint["id"]) if d["status"] == "succeeded"])

    first, second = delivery["attempts"]
    assert first["status_code"] == 429
    waited = datetime.fromisoformat(second["attempted_at"]) - datetime.fromisoformat(first["attempted_at"])
    assert waited.total_seconds() >= 1.0


def test_redirects_are_not_followed(api: TestClient, receiver: Receiver) -> None:
    receiver.behaviour = lambda r: Answer(302, b"", {"Location": "/elsewhere"})
    endpoint = subscribe(api, receiver.url, event_types=["deal.deal_opened"])
    new_deal(api)

    [delivery] = wait_for(lambda: [d for d in deliveries(api, endpoint["id"]) if d["status"] == "failed"])

    assert [a["status_code"] for a in delivery["attempts"]] == [302] * 4
    assert {r.path for r in receiver.received()} == {"/hook"}


def test_exhausted_deliveries_are_kept_with_their_attempt_log_and_can_be_retried(
    api: TestClient, receiver: Receiver
) -> None:
    receiver.behaviour = lambda r: Answer(500, b"x" * 10_000)
    endpoint = subscribe(api, receiver.url, event_types=["deal.deal_opened"])
    new_deal(api)
    [failed] = wait_for(lambda: [d for d in deliveries(api, endpoint["id"]) if d["status"] == "failed"])

    assert failed["attempts_made"] == 4
    assert all(a["status_code"] == 500 and len(a["response_body"]) == 4096 and a["latency_ms"] > 0
               for a in failed["attempts"])
    receiver.behaviour = lambda r: Answer()
    retried = api.post(f"/webhooks/{endpoint['id']}/deliveries/{failed['id']}/retry")
    assert retried.status_code == 202
    done = wait_for(lambda: (d := api.get(f"/webhooks/{endpoint['id']}/deliveries/{failed['id']}").json())
                    and d["status"] == "succeeded" and d)
    assert done["attempts_made"] == 5
    assert {r.webhook_id for r in receiver.received()} == {failed["webhook_id"]}


def test_an_endpoint_failing_continuously_is_disabled_with_a_record_and_nothing_is_dropped(
    base_settings: Settings, receiver: Receiver
) -> None:
    receiver.behaviour = lambda r: Answer(500)
    # Attempts every 0.1 s: several fall in the second half of the 1 s streak, where the warning is given, even on a
    # loaded host (with 0.2 s in 0.5 s, one late attempt once skipped the warning in CI).
    settings = fast(base_settings, webhook_disable_after=1.0, webhook_retry_schedule=[0] + [0.1] * 40)
    with TestClient(create_app(settings)) as api:
        endpoint = subscribe(api, receiver.url)
        new_deal(api)

        disabled = wait_for(lambda: (e := api.get(f"/webhooks/{endpoint['id']}").json()) and not e["enabled"] and e)

        assert disabled["disabled_reason"].startswith("every attempt has failed since")
        assert [n["type"] for n in disabled["notices"]] == ["webhook.endpoint_disabled", "webhook.endpoint_failing"]
        assert "will be disabled at" in disabled["notices"][1]["reason"]
        assert {d["status"] for d in deliveries(api, endpoint["id"])} == {"pending"}


def test_a_test_event_is_sent_on_demand(api: TestClient, receiver: Receiver) -> None:
    endpoint = subscribe(api, receiver.url)

    response = api.post(f"/webhooks/{endpoint['id']}/test")

    assert response.status_code == 202
    assert (response.json()["type"], response.json()["origin"]) == ("webhook.test", "test")
    [ping] = wait_for(lambda: receiver.received())
    assert ping.verified(endpoint["secret"])["type"] == "webhook.test"
    assert ping.webhook_id == response.json()["webhook_id"]


def test_recover_from_a_position_re_sends_exactly_that_range(api: TestClient, receiver: Receiver) -> None:
    endpoint = subscribe(api, receiver.url)
    deal = new_deal(api)
    recorded = record(api, deal, statement("1"), statement("2"), statement("3"))
    wait_for(lambda: len(receiver.received()) == 6)
    start, end = recorded[0]["position"], recorded[1]["position"]

    ranged = api.post(f"/webhooks/{endpoint['id']}/recover", json={"from_position": start, "until_position": end})
    wait_for(lambda: len(receiver.received()) == 8)
    onwards = api.post(f"/webhooks/{endpoint['id']}/recover", json={"from_position": end})
    wait_for(lambda: len(receiver.received()) == 10)
    wait_for(lambda: all(d["status"] == "succeeded" for d in deliveries(api, endpoint["id"])))

    assert ranged.status_code == 202
    assert ranged.json() == {"queued": 2, "already_pending": 0, "first_position": start, "last_position": end}
    assert onwards.json() == {"queued": 2, "already_pending": 0, "first_position": end,
                              "last_position": recorded[2]["position"]}
    resent = ids(receiver.received()[6:])
    assert resent == [recorded[0]["event_id"], recorded[1]["event_id"], recorded[1]["event_id"],
                      recorded[2]["event_id"]]
    assert len(deliveries(api, endpoint["id"])) == 10


def test_recover_since_a_time_starts_at_the_first_event_recorded_then(api: TestClient, receiver: Receiver) -> None:
    endpoint = subscribe(api, receiver.url, event_types=["deal.statement_recorded"])
    deal = new_deal(api)
    first, second = record(api, deal, statement("before"), statement("after"))
    wait_for(lambda: len(receiver.received()) == 2)

    response = api.post(f"/webhooks/{endpoint['id']}/recover", json={"since": second["recorded_at"]})

    assert response.json() == {"queued": 1, "already_pending": 0, "first_position": second["position"],
                               "last_position": second["position"]}
    wait_for(lambda: len(receiver.received()) == 3)
    assert receiver.received()[2].webhook_id == second["event_id"]
    assert first["event_id"] not in ids(receiver.received()[2:])


def test_an_address_checked_at_creation_is_checked_again_when_connecting(
    base_settings: Settings, receiver: Receiver
) -> None:
    with TestClient(create_app(fast(base_settings, run_background=False))) as local:
        endpoint = subscribe(local, receiver.url, event_types=["deal.deal_opened"])
    with TestClient(create_app(fast(base_settings, webhook_allow_loopback=False))) as api:
        new_deal(api)

        [failed] = wait_for(lambda: [d for d in deliveries(api, endpoint["id"]) if d["status"] == "failed"])

    assert all(a["error"].startswith("refused: resolves to 127.0.0.1 is a loopback address")
               for a in failed["attempts"])
    assert receiver.received() == []


def test_waiting_deliveries_show_in_metrics_and_readiness(base_settings: Settings, receiver: Receiver) -> None:
    receiver.behaviour = lambda r: Answer(503)
    with TestClient(create_app(fast(base_settings, webhook_retry_schedule=[0, 60]))) as api:
        endpoint = subscribe(api, receiver.url)
        new_deal(api)
        wait_for(lambda: any(d["attempts"] for d in deliveries(api, endpoint["id"])))

        metrics = api.get("/metrics").text
        ready = api.get("/readyz").json()

    assert 'deals_webhook_queue_depth{queue="webhooks"} 3.0' in metrics
    assert 'deals_webhook_deliveries_total{outcome="retrying"}' in metrics
    assert ready["checks"]["webhooks"]["status"] == "ok"


def test_a_slow_endpoint_takes_only_its_share_and_stalls_no_other(base_settings: Settings, receiver: Receiver) -> None:
    receiver.behaviour = lambda r: Answer(200, delay=1.0) if r.path.endswith("/slow") else Answer()
    settings = fast(base_settings, webhook_timeout=3.0, webhook_lease=6.0, webhook_concurrency=4,
                    webhook_endpoint_concurrency=2)
    with TestClient(create_app(settings)) as api:
        slow = subscribe(api, receiver.url + "/slow", event_types=["deal.deal_opened"])
        quick = subscribe(api, receiver.url + "/quick")
        for _ in range(4):
            new_deal(api)

        wait_for(lambda: len([r for r in receiver.received() if r.path.endswith("/quick")]) == 12)
        slow_started = len([r for r in receiver.received() if r.path.endswith("/slow")])
        wait_for(lambda: all(d["status"] == "succeeded" for e in (slow, quick) for d in deliveries(api, e["id"]))
                 and len(deliveries(api, slow["id"])) == 4)

    assert slow_started <= 2, "the slow endpoint held more than its share of the sender"
