"""What goes on the wire for a webhook URL: the request target percent-encoded per RFC 3986 and the host
IDNA-encoded (UTS #46, as browsers do), so that any URL accepted at subscription can be sent by http1.py.

A path or query is encoded as UTF-8, byte by byte, except the characters RFC 3986 allows there as they are
(unreserved, sub-delims, ":", "@", "/" and, in a query, "?"); a `%XX` triplet already encoded stays as it is, and a
`%` that starts no triplet is itself encoded (`%25`). A host that has no IDNA form cannot be sent: `ascii_host`
raises ValueError, and subscription refuses the URL.
"""

from __future__ import annotations

import re
from functools import lru_cache
from urllib.parse import quote, urlsplit

import idna

_LONE_PERCENT = re.compile(r"%(?![0-9A-Fa-f]{2})")
PATH_SAFE = "!$&'()*+,;=:@/-._~"  # RFC 3986 pchar and "/", besides letters and digits
QUERY_SAFE = PATH_SAFE + "?"


def encoded(part: str, safe: str) -> str:
    """`part` with every character RFC 3986 does not allow there percent-encoded (UTF-8); triplets kept."""
    return quote(_LONE_PERCENT.sub("%25", part), safe=safe + "%", encoding="utf-8", errors="strict")


@lru_cache(maxsize=4096)  # every attempt asks again; endpoints' URLs are few
def request_target(url: str) -> str:
    """The origin-form request target (path and query) of the URL, ready for the request line."""
    parts = urlsplit(url)
    path = encoded(parts.path or "/", PATH_SAFE)
    if not path.startswith("/"):
        path = "/" + path
    return path + (f"?{encoded(parts.query, QUERY_SAFE)}" if parts.query else "")


@lru_cache(maxsize=4096)
def ascii_host(host: str) -> str:
    """The host as sent (Host header, DNS, TLS name): an IP literal as is, a name in its IDNA (A-label) form."""
    if host.isascii():
        if not re.fullmatch(r"[A-Za-z0-9_.~!$&'()*+,;=:\[\]-]+", host):
            raise ValueError(f"the host {host!r} holds characters a host name cannot")
        labels = host.rstrip(".").split(".")
        if ":" not in host and (len(host) > 253 or not all(0 < len(label) <= 63 for label in labels)):
            raise ValueError(f"the host {host!r} has an empty label or one longer than 63 characters")
        return host.lower()
    try:
        return idna.encode(host, uts46=True).decode("ascii")
    except (idna.IDNAError, UnicodeError) as error:
        raise ValueError(f"the host {host!r} has no IDNA form ({error})") from None


@lru_cache(maxsize=4096)
def host_header(url: str) -> str:
    """The Host header: the ASCII host, bracketed if IPv6, with the port when the URL gives one."""
    parts = urlsplit(url)
    host = ascii_host(parts.hostname or "")
    if ":" in host:
        host = f"[{host}]"
    return host if parts.port is None else f"{host}:{parts.port}"


@lru_cache(maxsize=4096)
def check_sendable(url: str) -> None:
    """Raise ValueError (saying why) if the URL cannot be put on the wire: its host, path or query cannot be
    encoded."""
    parts = urlsplit(url)
    host_header(url)
    try:
        request_target(url)
    except UnicodeError as error:
        raise ValueError(f"the path or query cannot be encoded as UTF-8 ({error})") from None
    if any(ord(c) < 0x21 or ord(c) == 0x7F for c in parts.netloc):
        raise ValueError("the host part holds a space or a control character")
