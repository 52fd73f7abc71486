"""The log's signing key and name, from DEALS_LEDGER_SIGNING_KEY and DEALS_LEDGER_ORIGIN.

Without a configured key, an SQLite deployment (one machine, one file) makes its own on first start and keeps it
beside the database with mode 0600; a PostgreSQL one makes none, as its replicas must all sign with one key.
"""

from __future__ import annotations

import logging
import os
from dataclasses import dataclass
from pathlib import Path

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from service.ledger.note import load_signing_key, new_signing_key, verifier_key
from service.settings import Settings

log = logging.getLogger(__name__)
UNSIGNED = ("the log's checkpoints are not signed: set DEALS_LEDGER_SIGNING_KEY to the same key on every replica "
            "(make one with `deals keys signing`); the tree is kept and verified meanwhile")


@dataclass(frozen=True)
class LogKey:
    origin: str  # also the key's name
    private: Ed25519PrivateKey

    @property
    def verifier(self) -> str:
        return verifier_key(self.origin, self.private)

    @classmethod
    def from_settings(cls, settings: Settings) -> LogKey | None:
        """The configured key; on SQLite without one, the key kept beside the database (made if need be)."""
        if settings.ledger_signing_key is not None:
            return cls(settings.ledger_origin, load_signing_key(settings.ledger_signing_key.get_secret_value()))
        if settings.is_postgres:
            return None
        path = key_file(settings)
        text, made = _kept(path)
        key = cls(settings.ledger_origin, load_signing_key(text))
        if made:
            log.info("made the log's signing key %s (mode 0600; back it up with the database). Its verifier key, "
                        "for counterparties: %s", path, key.verifier)
        return key


def key_file(settings: Settings) -> Path:
    """deals.db -> deals.ledger.key, beside it."""
    path = settings.sqlite_path
    return path.with_name(f"{path.stem}.ledger.key")


def _kept(path: Path) -> tuple[str, bool]:
    """The key in the file, made first if there is none (atomically: two processes starting at once agree)."""
    try:
        return path.read_text().strip(), False
    except FileNotFoundError:
        pass
    path.parent.mkdir(parents=True, exist_ok=True)
    draft = path.with_name(f".{path.name}.{os.getpid()}.new")
    fd = os.open(draft, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as out:
        out.write(new_signing_key() + "\n")
    try:
        os.link(draft, path)
        made = True
    except FileExistsError:
        made = False
    finally:
        draft.unlink()
    return path.read_text().strip(), made
