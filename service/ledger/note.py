"""Checkpoints (C2SP tlog-checkpoint) in signed notes (C2SP signed-note) with Ed25519.

    <origin>\\n<tree size>\\n<base64 root hash>\\n          the note's text: the checkpoint body
    \\n
    — <key name> <base64(4-byte key id || signature)>\\n   one signature line

The key id is the first 4 bytes of SHA-256(key name || "\\n" || 0x01 || public key); the verifier key is
`<name>+<hex key id>+<base64(0x01 || public key)>`. The signature is over the text (the body lines, each ending
in a newline).
"""

from __future__ import annotations

import base64
import hashlib
from dataclasses import dataclass

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat

ED25519 = b"\x01"
DASH = "\u2014"


def key_id(name: str, public: bytes) -> bytes:
    return hashlib.sha256(name.encode() + b"\n" + ED25519 + public).digest()[:4]


def public_bytes(key: Ed25519PrivateKey | Ed25519PublicKey) -> bytes:
    pub = key.public_key() if isinstance(key, Ed25519PrivateKey) else key
    return pub.public_bytes(Encoding.Raw, PublicFormat.Raw)


def verifier_key(name: str, key: Ed25519PrivateKey) -> str:
    public = public_bytes(key)
    return f"{name}+{key_id(name, public).hex()}+{base64.b64encode(ED25519 + public).decode()}"


def key_id_of(verifier: str) -> str:
    """The hex key id inside a verifier key `<name>+<hex key id>+<key>`."""
    return verifier.split("+", 2)[1]


def new_signing_key() -> str:
    """A new Ed25519 private key (its 32-byte seed) in base64, for DEALS_LEDGER_SIGNING_KEY."""
    from cryptography.hazmat.primitives.serialization import NoEncryption, PrivateFormat

    raw = Ed25519PrivateKey.generate().private_bytes(Encoding.Raw, PrivateFormat.Raw, NoEncryption())
    return base64.b64encode(raw).decode()


def load_signing_key(text: str) -> Ed25519PrivateKey:
    raw = base64.b64decode(text.strip(), validate=True)
    if len(raw) != 32:
        raise ValueError("DEALS_LEDGER_SIGNING_KEY must be a 32-byte Ed25519 seed in base64 (`deals keys signing`)")
    return Ed25519PrivateKey.from_private_bytes(raw)


@dataclass(frozen=True)
class Checkpoint:
    origin: str
    tree_size: int
    root: bytes

    def body(self) -> str:
        return f"{self.origin}\n{self.tree_size}\n{base64.b64encode(self.root).decode()}\n"


def sign(checkpoint: Checkpoint, name: str, key: Ed25519PrivateKey) -> str:
    text = checkpoint.body()
    signature = key_id(name, public_bytes(key)) + key.sign(text.encode())
    return f"{text}\n{DASH} {name} {base64.b64encode(signature).decode()}\n"


class BadNote(ValueError):
    pass


def open_note(note: str, verifier: str) -> Checkpoint:
    """The checkpoint of a note signed by the verifier key's holder; BadNote otherwise."""
    try:
        name, hex_id, encoded = verifier.strip().split("+", 2)
        raw = base64.b64decode(encoded, validate=True)
    except ValueError as error:
        raise BadNote(f"not a verifier key: {error}") from None
    if raw[:1] != ED25519 or len(raw) != 33 or key_id(name, raw[1:]).hex() != hex_id:
        raise BadNote("not an Ed25519 verifier key, or its key id does not match")
    text, sep, signatures = note.partition("\n\n")
    if not sep or not text:
        raise BadNote("not a signed note (no blank line before the signatures)")
    text += "\n"
    public = Ed25519PublicKey.from_public_bytes(raw[1:])
    for line in signatures.splitlines():
        parts = line.split(" ")
        if len(parts) != 3 or parts[0] != DASH or parts[1] != name:
            continue
        signature = base64.b64decode(parts[2])
        if signature[:4] != bytes.fromhex(hex_id):
            continue
        try:
            public.verify(signature[4:], text.encode())
        except InvalidSignature:
            raise BadNote("the signature does not verify") from None
        return parse_checkpoint(text)
    raise BadNote(f"no signature by {name}")


def parse_checkpoint(text: str) -> Checkpoint:
    lines = text.split("\n")
    if len(lines) < 4 or not lines[1].isdigit():
        raise BadNote("not a checkpoint: origin, tree size and root hash lines expected")
    root = base64.b64decode(lines[2], validate=True)
    if len(root) != 32:
        raise BadNote("the root hash is not 32 bytes")
    return Checkpoint(lines[0], int(lines[1]), root)
