"""The SSRF guard: only public addresses, checked on every address a name resolves to; loopback only when allowed."""

from __future__ import annotations

from ipaddress import ip_address

import pytest

from service.webhooks.ssrf import Policy, Refused, Target, checked, parse_target, refusal, resolve

STRICT = Policy()
LOCAL = Policy(allow_loopback=True)


@pytest.mark.parametrize(
    ("address", "why"),
    [
        ("127.0.0.1", "loopback"), ("127.8.9.10", "loopback"), ("::1", "loopback"),
        ("10.1.2.3", "private"), ("172.16.0.1", "private"), ("192.168.1.1", "private"), ("fd00::1", "private"),
        ("169.254.169.254", "link-local"), ("fe80::1", "link-local"),
        ("100.64.0.1", "carrier-grade NAT"), ("100.127.255.254", "carrier-grade NAT"),
        ("224.0.0.1", "multicast"), ("ff02::1", "multicast"),
        ("0.0.0.0", "unspecified"), ("::", "unspecified"),
        ("240.0.0.1", "reserved"), ("255.255.255.255", "reserved"), ("0.1.2.3", "not a global"),
        ("192.0.0.8", "not a global"), ("198.18.0.1", "not a global"), ("192.0.2.1", "not a global"),
        ("::ffff:10.0.0.1", "private"), ("::ffff:127.0.0.1", "loopback"), ("::ffff:169.254.169.254", "link-local"),
        ("64:ff9b::a00:1", "reserved"), ("2002:a00:1::", "not a global"), ("2001:db8::1", "not a global"),
        ("2001::1", "not a global"),
    ],
)
def test_internal_and_special_addresses_are_refused_with_the_reason(address: str, why: str) -> None:
    reason = refusal(ip_address(address), STRICT)

    assert reason is not None
    assert why in reason


@pytest.mark.parametrize("address", ["8.8.8.8", "1.1.1.1", "2606:4700::1111", "::ffff:8.8.8.8", "100.128.0.1"])
def test_public_addresses_may_be_reached(address: str) -> None:
    assert refusal(ip_address(address), STRICT) is None


def test_loopback_is_allowed_only_when_the_policy_says_so_and_nothing_else_with_it() -> None:
    assert refusal(ip_address("127.0.0.1"), LOCAL) is None
    assert refusal(ip_address("::1"), LOCAL) is None
    assert refusal(ip_address("10.0.0.1"), LOCAL) is not None
    assert refusal(ip_address("169.254.169.254"), LOCAL) is not None


def test_private_networks_are_allowed_only_when_the_policy_says_so() -> None:
    on_premises = Policy(allow_private=True)

    assert refusal(ip_address("10.0.0.1"), on_premises) is None
    assert refusal(ip_address("100.64.0.1"), on_premises) is not None
    assert refusal(ip_address("127.0.0.1"), on_premises) is not None


def test_one_internal_address_among_public_ones_refuses_the_whole_name() -> None:
    with pytest.raises(Refused, match="private"):
        checked([ip_address("8.8.8.8"), ip_address("10.0.0.1")], STRICT)
    assert checked([ip_address("8.8.8.8"), ip_address("8.8.8.8"), ip_address("1.1.1.1")], STRICT) == [
        ip_address("8.8.8.8"), ip_address("1.1.1.1")]


@pytest.mark.parametrize(
    ("url", "why"),
    [("ftp://example.com/x", "http or https"), ("file:///etc/passwd", "http or https"), ("https:///x", "host"),
     ("https://user:pw@example.com/", "credentials"), ("https://example.com/#frag", "fragment"),
     ("http://example.com:99999/", "valid URL"), ("example.com/hook", "http or https")],
)
def test_urls_other_than_plain_http_or_https_are_refused(url: str, why: str) -> None:
    with pytest.raises(Refused, match=why):
        parse_target(url)


def test_a_url_gives_its_scheme_host_and_port() -> None:
    assert parse_target("https://hooks.example.com/deals?x=1") == Target("https", "hooks.example.com", 443)
    assert parse_target("http://[::1]:8080/hook") == Target("http", "::1", 8080)


def test_a_name_is_resolved_and_every_address_checked() -> None:
    with pytest.raises(Refused, match="loopback"):
        resolve(parse_target("http://localhost:8080/hook"), STRICT)
    assert all(ip.is_loopback for ip in resolve(parse_target("http://localhost:8080/hook"), LOCAL))


def test_literal_addresses_are_checked_without_resolving() -> None:
    with pytest.raises(Refused, match="link-local"):
        resolve(parse_target("http://169.254.169.254/latest/meta-data"), STRICT)
    with pytest.raises(Refused, match="private"):
        resolve(parse_target("http://[::ffff:192.168.0.1]/"), STRICT)


def test_a_name_that_does_not_resolve_is_refused() -> None:
    with pytest.raises(Refused, match="does not resolve"):
        resolve(parse_target("http://no-such-host.invalid/hook"), STRICT)
