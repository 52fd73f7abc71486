"""Webhook URLs on the wire: paths and queries percent-encoded per RFC 3986 (triplets kept), hosts IDNA-encoded in
the Host header, DNS and TLS, and a URL that cannot be sent refused at subscription (POST and PATCH) naming `url`."""

from __future__ import annotations

import socket
from collections.abc import Iterator
from typing import Any

import pytest
from fastapi.testclient import TestClient

from service.api.main import create_app
from service.settings import Settings
from service.webhooks import target as wire
from tests.webhooks.helpers import new_deal, subscribe
from tests.webhooks.receiver import Receiver, wait_for

IDN = "bücher.example"
IDN_ASCII = "xn--bcher-kva.example"


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    with Receiver() as running:
        yield running


@pytest.mark.parametrize(
    ("url", "sent"),
    [
        ("http://h/a b", "/a%20b"),
        ("http://h/ü/д", "/%C3%BC/%D0%B4"),
        ("http://h/already%20done/%D0%B4", "/already%20done/%D0%B4"),
        ("http://h/100%/x", "/100%25/x"),
        ("http://h/p;a=1:@!$&'()*+,=~", "/p;a=1:@!$&'()*+,=~"),
        ("http://h/x?q=a b&d=д&e=%41&f=/?:", "/x?q=a%20b&d=%D0%B4&e=%41&f=/?:"),
        ("http://h/x<y>{z}|^`\"\\", "/x%3Cy%3E%7Bz%7D%7C%5E%60%22%5C"),
        ("http://h", "/"),
    ],
)
def test_the_request_target_is_percent_encoded_keeping_triplets(url: str, sent: str) -> None:
    assert wire.request_target(url) == sent


@pytest.mark.parametrize(
    ("url", "host"),
    [
        (f"https://{IDN}/x", IDN_ASCII),
        ("http://BÜCHER.example:8080/x", f"{IDN_ASCII}:8080"),
        ("http://пример.рф/", "xn--e1afmkfd.xn--p1ai"),
        ("http://[::1]:81/x", "[::1]:81"),
        ("http://Example.COM/x", "example.com"),
    ],
)
def test_the_host_header_is_idna_encoded(url: str, host: str) -> None:
    assert wire.host_header(url) == host


def test_paths_with_a_space_u_umlaut_and_de_reach_a_real_receiver_encoded(api: TestClient, receiver: Receiver) -> None:
    base = receiver.url.removesuffix("/hook")
    for path in ("/with space", "/ü", "/д/x?q=д ü"):
        subscribe(api, base + path)

    new_deal(api)
    expected = {"/with%20space", "/%C3%BC", "/%D0%B4/x?q=%D0%B4%20%C3%BC"}
    arrived = wait_for(lambda: {r.path for r in receiver.deal_events()} >= expected and receiver.deal_events())

    assert {r.path for r in arrived} == expected


def test_an_idn_host_is_resolved_and_sent_as_its_a_label(
    api: TestClient, receiver: Receiver, monkeypatch: pytest.MonkeyPatch
) -> None:
    asked: list[str] = []
    real = socket.getaddrinfo

    def resolver(host: Any, port: Any, *args: Any, **kwargs: Any) -> Any:
        asked.append(host)
        return real("127.0.0.1" if host == IDN_ASCII else host, port, *args, **kwargs)

    monkeypatch.setattr(socket, "getaddrinfo", resolver)
    port = receiver.server.server_port
    subscribe(api, f"http://{IDN}:{port}/hook/ü")

    new_deal(api)
    arrived = wait_for(lambda: receiver.deal_events())[0]

    assert arrived.headers["host"] == f"{IDN_ASCII}:{port}"
    assert arrived.path == "/hook/%C3%BC"
    assert IDN not in asked and IDN_ASCII in asked


@pytest.mark.parametrize(
    ("url", "reason"),
    [
        ("http://exa mple.com/hook", "holds characters"),
        ("http://ab\u0661\u06f1.com/hook", "no IDNA form"),
        ("http://a..b.com/hook", "empty label"),
        (f"http://{'a' * 64}.com/hook", "longer than 63"),
        ("http://\u00ad.com/hook", "no IDNA form"),
    ],
)
def test_a_url_that_cannot_be_sent_is_refused_at_subscription_and_update(
    api: TestClient, receiver: Receiver, url: str, reason: str
) -> None:
    created = api.post("/webhooks", json={"url": url})
    endpoint = subscribe(api, receiver.url)
    updated = api.patch(f"/webhooks/{endpoint['id']}", json={"url": url})

    for response in (created, updated):
        assert response.status_code == 422, response.text
        problem = response.json()
        assert (problem["code"], problem["field"]) == ("unsafe_url", "url")
        assert "cannot be sent" in problem["reason"] and reason in problem["reason"]
    assert [e["url"] for e in api.get("/webhooks").json()["items"]] == [receiver.url]


def test_a_path_that_has_no_utf_8_form_cannot_be_sent() -> None:
    with pytest.raises(ValueError, match="cannot be encoded"):
        wire.check_sendable("http://127.0.0.1:9/\udcff")


@pytest.fixture
def api(wh_settings: Settings) -> Iterator[TestClient]:
    with TestClient(create_app(wh_settings)) as client:
        yield client
