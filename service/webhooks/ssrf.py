"""SSRF guard: a webhook may only reach public addresses, checked when the URL is given and again, on the address
actually connected to, at every attempt (so DNS rebinding cannot turn a checked name into an internal address)."""

from __future__ import annotations

import socket
from collections.abc import Iterable
from dataclasses import dataclass
from ipaddress import IPv4Address, IPv6Address, ip_address, ip_network
from urllib.parse import urlsplit

from service.webhooks import target as wire

IPAddress = IPv4Address | IPv6Address

CGNAT = ip_network("100.64.0.0/10")
PRIVATE = tuple(ip_network(n) for n in ("10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16", "fc00::/7"))
# Ranges Python's `is_global` calls global although they reach internal hosts or carry no real destination:
# NAT64 and 6to4 embed IPv4 addresses, 192.0.0.0/24 holds special-purpose assignments, Teredo tunnels.
NON_GLOBAL = tuple(
    ip_network(n)
    for n in (
        "0.0.0.0/8", "192.0.0.0/24", "192.0.2.0/24", "192.88.99.0/24", "198.18.0.0/15", "198.51.100.0/24",
        "203.0.113.0/24", "240.0.0.0/4", "64:ff9b::/96", "64:ff9b:1::/48", "100::/64", "2001::/23",
        "2001:db8::/32", "2002::/16", "3fff::/20",
    )
)


class Refused(ValueError):
    """Raised when a URL or the address it resolves to may not be reached; `reason` says why."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


@dataclass(frozen=True)
class Policy:
    """What besides public addresses may be reached: loopback for tests and local use, private networks on-premises."""

    allow_loopback: bool = False
    allow_private: bool = False


@dataclass(frozen=True)
class Target:
    scheme: str
    host: str
    port: int


def refusal(ip: IPAddress, policy: Policy) -> str | None:
    """Why the address may not be reached, or None when it may."""
    if isinstance(ip, IPv6Address) and ip.ipv4_mapped is not None:
        ip = ip.ipv4_mapped
    if ip.is_unspecified:
        return f"{ip} is the unspecified address"
    if ip.is_loopback:
        return None if policy.allow_loopback else f"{ip} is a loopback address"
    if ip.is_link_local:
        return f"{ip} is a link-local address"
    if ip.is_multicast:
        return f"{ip} is a multicast address"
    if ip in CGNAT:
        return f"{ip} is a carrier-grade NAT address (100.64.0.0/10)"
    if any(ip in net for net in PRIVATE):
        return None if policy.allow_private else f"{ip} is a private address"
    if ip.is_reserved:
        return f"{ip} is a reserved address"
    if any(ip in net for net in NON_GLOBAL) or not ip.is_global:
        return f"{ip} is not a global address"
    return None


def parse_target(url: str) -> Target:
    """The scheme, host and port of a webhook URL; refuses anything but plain http(s) URLs without credentials."""
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError as error:
        raise Refused(f"is not a valid URL ({error})") from None
    if parts.scheme not in ("http", "https"):
        raise Refused("must use http or https")
    if not parts.hostname:
        raise Refused("must name a host")
    if parts.username is not None or parts.password is not None:
        raise Refused("must not carry credentials")
    if parts.fragment:
        raise Refused("must not have a fragment")
    try:
        wire.check_sendable(url)
        host = wire.ascii_host(parts.hostname)
    except ValueError as error:
        raise Refused(f"cannot be sent: {error}") from None
    return Target(parts.scheme, host, port or (443 if parts.scheme == "https" else 80))


def literal_address(host: str) -> IPAddress | None:
    try:
        return ip_address(host.strip("[]"))
    except ValueError:
        return None


def checked(addresses: Iterable[IPAddress], policy: Policy) -> list[IPAddress]:
    """The addresses, in order and without repeats, if every one of them may be reached; else Refused."""
    unique = list(dict.fromkeys(addresses))
    if not unique:
        raise Refused("resolves to no address")
    for ip in unique:
        reason = refusal(ip, policy)
        if reason is not None:
            raise Refused(f"resolves to {reason}")
    return unique


def addresses_from(getaddrinfo_result: Iterable[tuple]) -> list[IPAddress]:
    # A scoped IPv6 address comes back as "fe80::1%eth0"; the scope is not part of the address.
    return [ip_address(str(info[4][0]).split("%", 1)[0]) for info in getaddrinfo_result]


def resolve(target: Target, policy: Policy) -> list[IPAddress]:
    """Resolve the host (A and AAAA) and check every address: one internal address refuses the whole name."""
    literal = literal_address(target.host)
    if literal is not None:
        return checked([literal], policy)
    try:
        infos = socket.getaddrinfo(target.host, target.port, type=socket.SOCK_STREAM)
    except (socket.gaierror, UnicodeError) as error:
        raise Refused(f"host {target.host} does not resolve ({error})") from None
    return checked(addresses_from(infos), policy)
