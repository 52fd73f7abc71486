"""The ledger as the API sees it: the store, the key, and the latest checkpoint whose signature verifies."""

from __future__ import annotations

from dataclasses import dataclass

from service.ledger.keys import UNSIGNED, LogKey
from service.ledger.note import BadNote, Checkpoint, key_id_of, open_note
from service.ledger.store import LedgerStore, StoredCheckpoint
from service.settings import Settings


class LedgerOff(RuntimeError):
    """DEALS_LEDGER=off: this deployment keeps no log."""


class Unsigned(RuntimeError):
    """The log is kept, but no key signs its checkpoints (PostgreSQL without DEALS_LEDGER_SIGNING_KEY)."""


@dataclass(frozen=True)
class SigningKey:
    verifier: str
    from_tree_size: int
    added_at: float
    current: bool

    @property
    def key_id(self) -> str:
        return key_id_of(self.verifier)


class Ledger:
    def __init__(self, settings: Settings) -> None:
        if not settings.ledger:
            raise LedgerOff("the log is not kept here: DEALS_LEDGER is off")
        self.own_key = LogKey.from_settings(settings)
        self.store = LedgerStore(settings)

    @property
    def key(self) -> LogKey:
        if self.own_key is None:
            raise Unsigned(UNSIGNED)
        return self.own_key

    def signing_keys(self) -> list[SigningKey]:
        """Every key the log has signed with, oldest first; the last to take over is current. This process's
        own key is listed even before the follower has recorded it."""
        kept = self.store.signing_keys()
        listed = [k[0] for k in kept]
        if self.own_key is not None and self.own_key.verifier not in listed:
            kept.append((self.own_key.verifier, self.store.size()[0], float("inf")))
        return [SigningKey(v, size, at, i == len(kept) - 1) for i, (v, size, at) in enumerate(kept)]

    def open(self, note: str) -> tuple[Checkpoint, str]:
        """The checkpoint of a note signed by any key the log lists, and the verifier key that signed it."""
        return open_by_any(note, [k.verifier for k in reversed(self.signing_keys())])

    def signed(self, stored: StoredCheckpoint) -> tuple[Checkpoint, str]:
        """The checkpoint a stored note says, once its signature verifies (the table could have been rewritten),
        and the verifier key that signed it."""
        checkpoint, verifier = self.open(stored.note)
        if (checkpoint.tree_size, checkpoint.root) != (stored.tree_size, stored.root):
            raise BadNote("the stored checkpoint's columns differ from its signed note")
        return checkpoint, verifier

    def latest(self) -> StoredCheckpoint | None:
        return self.store.latest_checkpoint()

    def close(self) -> None:
        self.store.close()


def open_by_any(note: str, verifiers: list[str]) -> tuple[Checkpoint, str]:
    if not verifiers:
        raise BadNote("the log lists no signing key to verify it with")
    errors = []
    for verifier in verifiers:
        try:
            return open_note(note, verifier), verifier
        except BadNote as error:
            errors.append(str(error))
    bad = [e for e in errors if not e.startswith("no signature by")]
    raise BadNote(bad[0] if bad else "signed by none of the keys the log lists (GET /log/keys)")
