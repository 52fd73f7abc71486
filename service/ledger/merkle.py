"""The Merkle tree of RFC 9162 §2.1: hashes, proofs and their verification, over any source of subtree hashes.

A tree of n leaves is stored as its complete subtrees: node (level, index) is the hash of leaves
[index·2^level, (index+1)·2^level), kept once all of them exist. Every hash a proof or a root needs is the hash of
a range of leaves, which `range_keys` breaks into at most ~2·log2(n) such nodes; so a proof is one read of a few
dozen rows, whatever the tree's size.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Iterable, Mapping, Sequence

Node = tuple[int, int]  # (level, index)
EMPTY_ROOT = hashlib.sha256(b"").digest()


def node_hash(left: bytes, right: bytes) -> bytes:
    return hashlib.sha256(b"\x01" + left + right).digest()


def split(n: int) -> int:
    """The largest power of two smaller than n (n > 1)."""
    return 1 << ((n - 1).bit_length() - 1)


def mth(leaves: Sequence[bytes]) -> bytes:
    """MTH(D[n]) straight from RFC 9162 §2.1.1, over leaf hashes (the reference the stored tree is tested against)."""
    if not leaves:
        return EMPTY_ROOT
    if len(leaves) == 1:
        return leaves[0]
    k = split(len(leaves))
    return node_hash(mth(leaves[:k]), mth(leaves[k:]))


# ---- ranges of leaves as stored nodes ---------------------------------------------------------------------------

Range = tuple[int, int]  # leaves [start, end)


def range_keys(start: int, end: int) -> list[Node]:
    """The stored nodes whose hashes make up MTH(D[start:end])."""
    size = end - start
    if size & (size - 1) == 0 and start % size == 0:
        return [(size.bit_length() - 1, start // size)]
    k = split(size)
    return range_keys(start, start + k) + range_keys(start + k, end)


def range_hash(start: int, end: int, nodes: Mapping[Node, bytes]) -> bytes:
    if end == start:
        return EMPTY_ROOT
    size = end - start
    if size & (size - 1) == 0 and start % size == 0:
        return nodes[(size.bit_length() - 1, start // size)]
    k = split(size)
    return node_hash(range_hash(start, start + k, nodes), range_hash(start + k, end, nodes))


def keys_of(ranges: Iterable[Range]) -> set[Node]:
    return {key for start, end in ranges if end > start for key in range_keys(start, end)}


def new_nodes(old_size: int, new_leaves: Sequence[bytes], read: Callable[[set[Node]], Mapping[Node, bytes]]
              ) -> dict[Node, bytes]:
    """Every node that becomes complete when leaves [old_size, old_size+len(new_leaves)) are added (level 0
    included); `read` gives stored nodes of the old tree that the new ones need."""
    size = old_size + len(new_leaves)
    made: dict[Node, bytes] = {(0, old_size + i): h for i, h in enumerate(new_leaves)}
    level = 1
    while (1 << level) <= size:
        first, last = old_size >> level, (size >> level) - 1
        if first <= last:
            wanted = {(level - 1, 2 * first)} - made.keys()
            old = read(wanted) if wanted else {}
            for index in range(first, last + 1):
                left = (level - 1, 2 * index)
                made[(level, index)] = node_hash(made.get(left) or old[left], made[(level - 1, 2 * index + 1)])
        level += 1
    return made


# ---- proofs (RFC 9162 §2.1.3.1 and §2.1.4.1), as the ranges whose hashes they list -----------------------------

def inclusion_ranges(index: int, start: int, end: int) -> list[Range]:
    """PATH(m, D[start:end]) for m = index - start."""
    n = end - start
    if n <= 1:
        return []
    k = split(n)
    if index - start < k:
        return [*inclusion_ranges(index, start, start + k), (start + k, end)]
    return [*inclusion_ranges(index, start + k, end), (start, start + k)]


def consistency_ranges(m: int, n: int) -> list[Range]:
    """PROOF(m, D[n]) for 0 < m ≤ n."""
    return _subproof(m, 0, n, True)


def _subproof(m: int, start: int, end: int, whole: bool) -> list[Range]:
    n = end - start
    if m == n:
        return [] if whole else [(start, end)]
    k = split(n)
    if m <= k:
        return [*_subproof(m, start, start + k, whole), (start + k, end)]
    return [*_subproof(m - k, start + k, end, False), (start, start + k)]


# ---- verification (RFC 9162 §2.1.3.2 and §2.1.4.2) ------------------------------------------------------------

def root_from_inclusion(index: int, size: int, leaf: bytes, path: Sequence[bytes]) -> bytes | None:
    """The root the inclusion proof leads to, or None when the proof has the wrong shape."""
    if index >= size:
        return None
    fn, sn, r = index, size - 1, leaf
    for p in path:
        if sn == 0:
            return None
        if fn & 1 or fn == sn:
            r = node_hash(p, r)
            if not fn & 1:
                while fn and not fn & 1:
                    fn, sn = fn >> 1, sn >> 1
        else:
            r = node_hash(r, p)
        fn, sn = fn >> 1, sn >> 1
    return r if sn == 0 else None


def verify_inclusion(index: int, size: int, leaf: bytes, path: Sequence[bytes], root: bytes) -> bool:
    return root_from_inclusion(index, size, leaf, path) == root


def verify_consistency(m: int, n: int, root_m: bytes, root_n: bytes, proof: Sequence[bytes]) -> bool:
    if m > n or m < 0:
        return False
    if m == n:
        return not proof and root_m == root_n
    if m == 0:
        return not proof
    if not proof:
        return False
    path = list(proof)
    if m & (m - 1) == 0:  # m a power of two: the old root is the first node of the proof
        path.insert(0, root_m)
    if not path:
        return False
    fn, sn = m - 1, n - 1
    while fn & 1:
        fn, sn = fn >> 1, sn >> 1
    fr = sr = path[0]
    for c in path[1:]:
        if sn == 0:
            return False
        if fn & 1 or fn == sn:
            fr, sr = node_hash(c, fr), node_hash(c, sr)
            if not fn & 1:
                while fn and not fn & 1:
                    fn, sn = fn >> 1, sn >> 1
        else:
            sr = node_hash(sr, c)
        fn, sn = fn >> 1, sn >> 1
    return fr == root_m and sr == root_n and sn == 0


class RootBuilder:
    """MTH of a stream of leaf hashes in O(log n) memory (for re-hashing the whole log)."""

    def __init__(self) -> None:
        self.stack: list[tuple[int, bytes]] = []  # (size, hash) of complete subtrees, sizes decreasing
        self.size = 0

    def add(self, leaf: bytes) -> None:
        size, h = 1, leaf
        while self.stack and self.stack[-1][0] == size:
            h = node_hash(self.stack.pop()[1], h)
            size *= 2
        self.stack.append((size, h))
        self.size += 1

    def root(self) -> bytes:
        if not self.stack:
            return EMPTY_ROOT
        h = self.stack[-1][1]
        for _, left in reversed(self.stack[:-1]):
            h = node_hash(left, h)
        return h
