"""The stored-node Merkle tree against RFC 9162 §2.1 written out recursively, and known vectors."""

from __future__ import annotations

import hashlib

import orjson
import rfc8785
from hypothesis import given, settings
from hypothesis import strategies as st

from service.ledger import merkle as m
from service.wire.canonical import canonical, item_leaf_bytes, leaf_hash

# The leaves and roots of the certificate-transparency-go / Trillian test vectors (RFC 6962 = RFC 9162 hashing).
VECTOR_LEAVES = [b"", b"\x00", b"\x10", b"\x20\x21", b"\x30\x31", b"\x40\x41\x42\x43",
                 b"\x50\x51\x52\x53\x54\x55\x56\x57",
                 b"\x60\x61\x62\x63\x64\x65\x66\x67\x68\x69\x6a\x6b\x6c\x6d\x6e\x6f"]
VECTOR_ROOTS = [
    "6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d",
    "fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125",
    "aeb6bcfe274b70a14fb067a5e5578264db0fa9b51af5e0ba159158f329e06e77",
    "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7",
    "4e3bbb1f7b478dcfe71fb631631519a3bca12c9aefca1612bfce4c13a86264d4",
    "76e67dadbcdf1e10e1b74ddc608abd2f98dfb16fbce75277b5232a127f2087ef",
    "ddb89be403809e325750d3d263cd78929c2942b7942a34b77e122c9594a74c8c",
    "5dc9da79a70659a9ad559cb701ded9a2ab9d823aad2f4960cfe370eff4604328",
]
# RFC 9162 / CT vectors: inclusion of leaf 0 in the tree of 8, and consistency of 1..8, 6..8, 2..5.
INCLUSION_0_OF_8 = ["96a296d224f285c67bee93c30f8a309157f0daa35dc5b87e410b78630a09cfc7",
                    "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
                    "6b47aaf29ee3c2af9af889bc1fb9254dabd31177f16232dd6aab035ca39bf6e4"]
CONSISTENCY_6_8 = ["0ebc5d3437fbe2db158b9f126a1d118e308181031d0a949f8dededebc558ef6a",
                   "ca854ea128ed050b41b35ffc1b87b8eb2bde461e9e3b5596ece6b9d5975a0ae0",
                   "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7"]


def stored_tree(leaves: list[bytes]) -> dict[m.Node, bytes]:
    """Nodes built as the follower builds them: pages appended one after another."""
    nodes: dict[m.Node, bytes] = {}
    size = 0
    for chunk in (leaves[:3], leaves[3:4], leaves[4:]):
        nodes.update(m.new_nodes(size, chunk, lambda keys: {k: nodes[k] for k in keys}))
        size += len(chunk)
    return nodes


def test_roots_match_the_known_vectors() -> None:
    hashes = [leaf_hash(leaf) for leaf in VECTOR_LEAVES]
    nodes = stored_tree(hashes)
    assert m.range_hash(0, 0, nodes).hex() == "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
    for n in range(1, 9):
        assert m.mth(hashes[:n]).hex() == VECTOR_ROOTS[n - 1]
        assert m.range_hash(0, n, nodes).hex() == VECTOR_ROOTS[n - 1]


def test_proofs_match_the_known_vectors() -> None:
    hashes = [leaf_hash(leaf) for leaf in VECTOR_LEAVES]
    nodes = stored_tree(hashes)
    path = [m.range_hash(a, b, nodes).hex() for a, b in m.inclusion_ranges(0, 0, 8)]
    assert path == INCLUSION_0_OF_8
    proof = [m.range_hash(a, b, nodes).hex() for a, b in m.consistency_ranges(6, 8)]
    assert proof == CONSISTENCY_6_8
    assert m.verify_consistency(6, 8, bytes.fromhex(VECTOR_ROOTS[5]), bytes.fromhex(VECTOR_ROOTS[7]),
                                [bytes.fromhex(h) for h in proof])


def _recursive_path(index: int, leaves: list[bytes]) -> list[bytes]:
    """PATH(m, D[n]) of RFC 9162 §2.1.3.1, verbatim."""
    n = len(leaves)
    if n == 1:
        return []
    k = m.split(n)
    if index < k:
        return [*_recursive_path(index, leaves[:k]), m.mth(leaves[k:])]
    return [*_recursive_path(index - k, leaves[k:]), m.mth(leaves[:k])]


def _recursive_subproof(k_old: int, leaves: list[bytes], whole: bool) -> list[bytes]:
    """SUBPROOF(m, D[n], b) of RFC 9162 §2.1.4.1, verbatim."""
    n = len(leaves)
    if k_old == n:
        return [] if whole else [m.mth(leaves)]
    k = m.split(n)
    if k_old <= k:
        return [*_recursive_subproof(k_old, leaves[:k], whole), m.mth(leaves[k:])]
    return [*_recursive_subproof(k_old - k, leaves[k:], False), m.mth(leaves[:k])]


sizes = st.integers(min_value=1, max_value=70)


@settings(max_examples=150, deadline=None)
@given(n=sizes, data=st.data())
def test_stored_tree_proofs_equal_the_recursive_definition(n: int, data: st.DataObject) -> None:
    leaves = [leaf_hash(b"%d" % i) for i in range(n)]
    nodes = stored_tree(leaves)
    root = m.mth(leaves)
    assert m.range_hash(0, n, nodes) == root
    builder = m.RootBuilder()
    for leaf in leaves:
        builder.add(leaf)
    assert builder.root() == root

    index = data.draw(st.integers(0, n - 1))
    path = [m.range_hash(a, b, nodes) for a, b in m.inclusion_ranges(index, 0, n)]
    assert path == _recursive_path(index, leaves)
    assert m.verify_inclusion(index, n, leaves[index], path, root)
    assert not m.verify_inclusion(index, n, leaf_hash(b"other"), path, root)
    if path:
        assert not m.verify_inclusion(index, n, leaves[index], path[:-1], root)

    old = data.draw(st.integers(1, n))
    proof = [m.range_hash(a, b, nodes) for a, b in m.consistency_ranges(old, n)]
    assert proof == _recursive_subproof(old, leaves, True)
    old_root = m.mth(leaves[:old])
    assert m.verify_consistency(old, n, old_root, root, proof)
    assert not m.verify_consistency(old, n, leaf_hash(b"forged"), root, proof)
    if old < n:
        assert not m.verify_consistency(old, n, old_root, leaf_hash(b"forged"), proof)
        assert not m.verify_consistency(old, n, old_root, root, proof[:-1])


json_values = st.recursive(
    st.none() | st.booleans() | st.integers(-(2**53) + 1, 2**53 - 1) | st.text(),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=8), inner, max_size=4),
    max_leaves=20,
)


@settings(max_examples=300, deadline=None)
@given(json_values)
def test_canonical_json_is_rfc8785(value: object) -> None:
    assert canonical(value) == rfc8785.dumps(value)


def test_an_empty_leaf_hash_is_sha256_of_the_prefix() -> None:
    assert leaf_hash(b"") == hashlib.sha256(b"\x00").digest()


@settings(max_examples=300, deadline=None)
@given(st.dictionaries(st.text(max_size=8), json_values, max_size=6), st.sampled_from(["", "\ue000", "😀"]))
def test_a_feed_items_leaf_bytes_are_its_rfc8785_form_without_its_leaf_hash(item: dict, key: str) -> None:
    """Both paths: orjson for most items, the JCS writer above when a character past U+E000 could reorder keys."""
    item = {**item, key + "k": 1, "a" + key: 2}
    served = orjson.dumps({**item, "leaf_hash": "AAAA"})
    item.pop("leaf_hash", None)
    assert item_leaf_bytes(served) == rfc8785.dumps(item)
