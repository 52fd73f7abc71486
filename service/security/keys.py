"""API keys: the operator configures their SHA-256 hashes with scopes; the service never stores or logs a key."""

from __future__ import annotations

import hashlib
import ipaddress
import re
import secrets
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from service.security.scopes import SCOPES

KEY_PREFIX = "dk_"
_HASH = re.compile(r"^[0-9a-f]{64}$")


class KeyConfigError(ValueError):
    """Raised when the configured key hashes cannot be read."""


@dataclass(frozen=True)
class ApiKey:
    """A configured key: its hash, what it may do, and an optional label for the operator."""

    sha256: str
    scopes: frozenset[str]
    label: str = ""

    @property
    def key_id(self) -> str:
        """A short, non-secret name for the key in logs: the first 12 hex digits of its hash."""
        return self.sha256[:12]


def hash_key(key: str) -> str:
    return hashlib.sha256(key.encode()).hexdigest()


def new_key() -> str:
    """A fresh random key (256 bits); shown once, only its hash is configured."""
    return KEY_PREFIX + secrets.token_urlsafe(32)


def key_line(key: str, scopes: Iterable[str], label: str = "") -> str:
    """The line an operator adds to the keys file (or DEALS_API_KEYS) for this key."""
    return " ".join(part for part in (hash_key(key), ",".join(scopes), label) if part)


def parse_entries(text: str, origin: str) -> list[ApiKey]:
    """Entries `<sha256-hex> <scope>[,<scope>…] [label]`, one per line (or separated by `;`); `#` starts a comment."""
    keys = []
    for number, raw in enumerate(re.split(r"[;\n]", text), start=1):
        line = raw.split("#", 1)[0].strip()
        if not line:
            continue
        parts = line.split(None, 2)
        where = f"{origin}, entry {number}"
        if len(parts) < 2:
            raise KeyConfigError(f"{where}: expected '<sha256-hex> <scope>[,<scope>…] [label]'")
        digest, scope_text = parts[0].lower(), parts[1]
        if not _HASH.match(digest):
            raise KeyConfigError(f"{where}: the first field must be the key's SHA-256 in hex (64 digits), not the key")
        scopes = frozenset(s for s in scope_text.split(",") if s)
        unknown = sorted(scopes - set(SCOPES))
        if unknown or not scopes:
            raise KeyConfigError(f"{where}: unknown scope {', '.join(unknown) or '(none)'}; known: {', '.join(SCOPES)}")
        keys.append(ApiKey(digest, scopes, parts[2].strip() if len(parts) > 2 else ""))
    return keys


class KeyRing:
    """The configured keys, looked up by the hash of the presented bearer token."""

    def __init__(self, keys: Iterable[ApiKey] = ()) -> None:
        self._by_hash = {k.sha256: k for k in keys}

    @classmethod
    def load(cls, entries: str | None, file: Path | None) -> KeyRing:
        keys = parse_entries(entries or "", "DEALS_API_KEYS")
        if file is not None:
            try:
                text = file.read_text()
            except OSError as error:
                raise KeyConfigError(f"DEALS_API_KEYS_FILE {file} cannot be read: {error.strerror}") from None
            keys += parse_entries(text, str(file))
        return cls(keys)

    @property
    def enforced(self) -> bool:
        """With no keys configured the API is open (allowed only on a loopback address)."""
        return bool(self._by_hash)

    def __len__(self) -> int:
        return len(self._by_hash)

    def lookup(self, presented: str) -> ApiKey | None:
        return self._by_hash.get(hash_key(presented))


def is_loopback(host: str) -> bool:
    if host.lower() == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


def open_bind_refusal(host: str, keyring: KeyRing) -> str | None:
    """Why serving on this address must be refused (no keys and not loopback), or None when it may go ahead."""
    if keyring.enforced or is_loopback(host):
        return None
    return (
        f"refusing to serve on {host} without API keys: anyone who can reach it could read and write every deal. "
        "Configure DEALS_API_KEYS or DEALS_API_KEYS_FILE (create keys with `deals keys create`), "
        "or bind to 127.0.0.1 for local use."
    )
