"""Signing secrets and queued payloads at rest: encrypted with the events' cipher when DEALS_CIPHER_KEY is set.

A signing secret lets anyone forge deliveries, and a payload carries the deal's state: with a cipher configured
both are stored sealed (AES-GCM, the library's AESCipher, as the events are). Values written before the key was
set stay readable as they are; a sealed value read without the key is an error that names the setting.
"""

from __future__ import annotations

import base64
from typing import Any

from eventsourcing.cryptography import AESCipher
from eventsourcing.utils import Environment

SEALED = "sealed:v1:"


class SealedWithoutKey(RuntimeError):
    """A sealed value was read by a process that has no DEALS_CIPHER_KEY (or another one)."""


class Sealer:
    def __init__(self, cipher: Any | None) -> None:
        self.cipher = cipher

    def seal(self, text: str | None) -> str | None:
        if text is None or self.cipher is None:
            return text
        return SEALED + base64.b64encode(self.cipher.encrypt(text.encode())).decode()

    @staticmethod
    def is_sealed(text: str) -> bool:
        return text.startswith(SEALED)

    def open(self, text: str | None) -> str | None:
        if text is None or not text.startswith(SEALED):
            return text
        if self.cipher is None:
            raise SealedWithoutKey("a webhook secret or payload is encrypted at rest: set DEALS_CIPHER_KEY")
        try:
            return self.cipher.decrypt(base64.b64decode(text[len(SEALED):])).decode()
        except ValueError as error:  # the library raises ValueError for a wrong key or damaged data
            raise SealedWithoutKey("a webhook secret or payload could not be decrypted: is DEALS_CIPHER_KEY the "
                                   "key it was stored with?") from error


def sealer_for(cipher_key: str | None) -> Sealer:
    if cipher_key is None:
        return Sealer(None)
    return Sealer(AESCipher(Environment(env={AESCipher.CIPHER_KEY: cipher_key})))
