"""The ledger as the API sees it: the store, the key, and the latest checkpoint whose signature verifies."""

from __future__ import annotations

from service.ledger.keys import LogKey
from service.ledger.note import BadNote, Checkpoint, open_note
from service.ledger.store import LedgerStore, StoredCheckpoint
from service.settings import Settings


class LedgerOff(RuntimeError):
    pass


class Ledger:
    def __init__(self, settings: Settings) -> None:
        key = LogKey.from_settings(settings)
        if key is None:
            raise LedgerOff("the log is not kept: DEALS_LOG_SIGNING_KEY is not set (make one: `deals keys signing`)")
        self.key = key
        self.store = LedgerStore(settings)

    def signed(self, stored: StoredCheckpoint) -> Checkpoint:
        """The checkpoint a stored note says, once its signature verifies (the table could have been rewritten)."""
        checkpoint = open_note(stored.note, self.key.verifier)
        if (checkpoint.tree_size, checkpoint.root) != (stored.tree_size, stored.root):
            raise BadNote("the stored checkpoint's columns differ from its signed note")
        return checkpoint

    def latest(self) -> StoredCheckpoint | None:
        return self.store.latest_checkpoint()

    def close(self) -> None:
        self.store.close()
