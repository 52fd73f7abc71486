"""Inclusion and consistency proofs (RFC 9162 §2.1.3–2.1.4) read from the stored tree, for the API and the CLI."""

from __future__ import annotations

import base64
from dataclasses import dataclass

from service.ledger.merkle import consistency_ranges, inclusion_ranges, keys_of, range_hash
from service.ledger.store import LedgerStore


class ProofRefused(ValueError):
    def __init__(self, status: int, code: str, detail: str) -> None:
        super().__init__(detail)
        self.status, self.code, self.detail = status, code, detail


def b64(value: bytes) -> str:
    return base64.b64encode(value).decode()


@dataclass(frozen=True)
class InclusionProof:
    leaf_index: int
    tree_size: int
    leaf_hash: bytes
    hashes: list[bytes]

    def json(self) -> dict[str, object]:
        return {"leaf_index": self.leaf_index, "tree_size": self.tree_size, "leaf_hash": b64(self.leaf_hash),
                "hashes": [b64(h) for h in self.hashes]}


def _within(store: LedgerStore, tree_size: int, name: str) -> None:
    size, _ = store.size()
    if tree_size > size:
        raise ProofRefused(422, "beyond_log", f"{name}={tree_size} is beyond the log, which has {size} leaves")


def inclusion(store: LedgerStore, position: int, tree_size: int | None = None) -> InclusionProof:
    """The proof that the event at `position` is in the tree of `tree_size` leaves (default: the latest checkpoint,
    else the whole tree)."""
    if tree_size is None:
        latest = store.latest_checkpoint()
        # Unsigned (no key signs this log's checkpoints) or none cut yet: the tree as it stands.
        tree_size = latest.tree_size if latest is not None else store.size()[0]
    _within(store, tree_size, "tree_size")
    found = store.leaf_at(position)
    if found is None:
        raise ProofRefused(404, "not_in_log", f"no event at position {position} is in the log yet")
    index, leaf = found
    if index >= tree_size:
        raise ProofRefused(422, "not_in_tree", f"the event at position {position} is leaf {index}, outside the tree "
                                               f"of {tree_size}")
    ranges = inclusion_ranges(index, 0, tree_size)
    nodes = store.read_nodes(keys_of(ranges))
    return InclusionProof(index, tree_size, leaf, [range_hash(a, b, nodes) for a, b in ranges])


def consistency(store: LedgerStore, first: int, second: int) -> list[bytes]:
    """The proof that the tree of `first` leaves is a prefix of the tree of `second`."""
    if not 0 < first <= second:
        raise ProofRefused(422, "bad_range", f"from={first} and to={second}: 0 < from <= to is needed")
    _within(store, second, "to")
    ranges = consistency_ranges(first, second)
    nodes = store.read_nodes(keys_of(ranges))
    return [range_hash(a, b, nodes) for a, b in ranges]
