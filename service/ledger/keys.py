"""The log's signing key and name, from DEALS_LOG_SIGNING_KEY and DEALS_LOG_ORIGIN."""

from __future__ import annotations

from dataclasses import dataclass

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from service.ledger.note import load_signing_key, verifier_key
from service.settings import Settings


@dataclass(frozen=True)
class LogKey:
    origin: str  # also the key's name
    private: Ed25519PrivateKey

    @property
    def verifier(self) -> str:
        return verifier_key(self.origin, self.private)

    @classmethod
    def from_settings(cls, settings: Settings) -> LogKey | None:
        if settings.log_signing_key is None:
            return None
        return cls(settings.log_origin, load_signing_key(settings.log_signing_key.get_secret_value()))
