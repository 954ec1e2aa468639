"""Merkle tree: RFC 6962 / RFC 9162 known answers, proof shapes, and properties of proofs."""

from __future__ import annotations

from collections.abc import Sequence

import pytest
from hypothesis import given
from hypothesis import strategies as st

from core.domain.errors import InvalidInput
from core.domain.ledger.merkle import (
    EMPTY_ROOT,
    MerkleLog,
    consistency_proof,
    inclusion_proof,
    leaf_hash,
    node_hash,
    root,
    root_from_hashes,
    verify_consistency,
    verify_inclusion,
)

# ---- known answers ----
# Leaf inputs, the root for every size 0..8 and the leaf hashes come from
# transparency-dev/merkle testonly/constants.go (LeafInputs, RootHashes, NodeHashes[0]):
# the vectors certificate-transparency and Trillian have used since RFC 6962.
LEAVES = [
    bytes.fromhex(h)
    for h in (
        "",
        "00",
        "10",
        "2021",
        "3031",
        "40414243",
        "5051525354555657",
        "606162636465666768696a6b6c6d6e6f",
    )
]
ROOTS = [
    bytes.fromhex(h)
    for h in (
        "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
        "6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d",
        "fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125",
        "aeb6bcfe274b70a14fb067a5e5578264db0fa9b51af5e0ba159158f329e06e77",
        "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7",
        "4e3bbb1f7b478dcfe71fb631631519a3bca12c9aefca1612bfce4c13a86264d4",
        "76e67dadbcdf1e10e1b74ddc608abd2f98dfb16fbce75277b5232a127f2087ef",
        "ddb89be403809e325750d3d263cd78929c2942b7942a34b77e122c9594a74c8c",
        "5dc9da79a70659a9ad559cb701ded9a2ab9d823aad2f4960cfe370eff4604328",
    )
]
LEAF_HASHES = [
    bytes.fromhex(h)
    for h in (
        "6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d",
        "96a296d224f285c67bee93c30f8a309157f0daa35dc5b87e410b78630a09cfc7",
        "0298d122906dcfc10892cb53a73992fc5b9f493ea4c9badb27b791b4127a7fe7",
        "07506a85fd9dd2f120eb694f86011e5bb4662e5c415a62917033d4a9624487e7",
        "bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b",
        "4271a26be0d8a84f0bd54c8c302e7cb3a3b5d1fa6780a40bcce2873477dab658",
        "b08693ec2e721597130641e8211e7eedccb4c26413963eee6c1e2ed16ffb1a5f",
        "46f6ffadd3d06a09ff3c5860d2755c8b9819db7df44251788c7d8e3180de8eb1",
    )
]


def _h(*hexes: str) -> list[bytes]:
    return [bytes.fromhex(x) for x in hexes]


# Proofs over LEAVES from transparency-dev/merkle proof/verify_test.go (inclusionProofs,
# consistencyProofs). That file numbers leaves from 1; the indexes here are 0-based.
INCLUSION_VECTORS = [
    (0, 1, []),
    (
        0,
        8,
        _h(
            "96a296d224f285c67bee93c30f8a309157f0daa35dc5b87e410b78630a09cfc7",
            "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
            "6b47aaf29ee3c2af9af889bc1fb9254dabd31177f16232dd6aab035ca39bf6e4",
        ),
    ),
    (
        5,
        8,
        _h(
            "bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b",
            "ca854ea128ed050b41b35ffc1b87b8eb2bde461e9e3b5596ece6b9d5975a0ae0",
            "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7",
        ),
    ),
    (2, 3, _h("fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125")),
    (
        1,
        5,
        _h(
            "6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d",
            "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
            "bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b",
        ),
    ),
]
CONSISTENCY_VECTORS = [
    (1, 1, []),
    (
        1,
        8,
        _h(
            "96a296d224f285c67bee93c30f8a309157f0daa35dc5b87e410b78630a09cfc7",
            "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
            "6b47aaf29ee3c2af9af889bc1fb9254dabd31177f16232dd6aab035ca39bf6e4",
        ),
    ),
    (
        6,
        8,
        _h(
            "0ebc5d3437fbe2db158b9f126a1d118e308181031d0a949f8dededebc558ef6a",
            "ca854ea128ed050b41b35ffc1b87b8eb2bde461e9e3b5596ece6b9d5975a0ae0",
            "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7",
        ),
    ),
    (
        2,
        5,
        _h(
            "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
            "bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b",
        ),
    ),
    (
        6,
        7,
        _h(
            "0ebc5d3437fbe2db158b9f126a1d118e308181031d0a949f8dededebc558ef6a",
            "b08693ec2e721597130641e8211e7eedccb4c26413963eee6c1e2ed16ffb1a5f",
            "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7",
        ),
    ),
]

# Proof shapes from transparency-dev/merkle proof/proof_test.go (TestInclusion,
# TestConsistency) and the 7-entry example of C2SP merkle-tree.md, each node written as
# the leaf range [lo, hi) whose MTH it is (a "rehash" pair there is one range here).
INCLUSION_SHAPES = [
    (0, 1, []),
    (0, 2, [(1, 2)]),
    (1, 2, [(0, 1)]),
    (1, 3, [(0, 1), (2, 3)]),
    (0, 7, [(1, 2), (2, 4), (4, 7)]),
    (2, 7, [(3, 4), (0, 2), (4, 7)]),
    (3, 7, [(2, 3), (0, 2), (4, 7)]),
    (4, 7, [(5, 6), (6, 7), (0, 4)]),
    (6, 7, [(4, 6), (0, 4)]),
    (2, 4, [(3, 4), (0, 2)]),
    (3, 5, [(2, 3), (0, 2), (4, 5)]),
    (3, 6, [(2, 3), (0, 2), (4, 6)]),
    (4, 6, [(5, 6), (0, 4)]),
    (10, 15, [(11, 12), (8, 10), (12, 15), (0, 8)]),
    (24, 31, [(25, 26), (26, 28), (28, 31), (16, 24), (0, 16)]),
    (81, 95, [(80, 81), (82, 84), (84, 88), (88, 95), (64, 80), (0, 64)]),
]
CONSISTENCY_SHAPES = [
    (1, 2, [(1, 2)]),
    (1, 4, [(1, 2), (2, 4)]),
    (1, 6, [(1, 2), (2, 4), (4, 6)]),
    (2, 3, [(2, 3)]),
    (2, 8, [(2, 4), (4, 8)]),
    (3, 7, [(2, 3), (3, 4), (0, 2), (4, 7)]),
    (4, 7, [(4, 7)]),
    (5, 7, [(4, 5), (5, 6), (6, 7), (0, 4)]),
    (6, 7, [(4, 6), (6, 7), (0, 4)]),
    (7, 8, [(6, 7), (7, 8), (4, 6), (0, 4)]),
    (2, 4, [(2, 4)]),
    (3, 5, [(2, 3), (3, 4), (0, 2), (4, 5)]),
    (3, 6, [(2, 3), (3, 4), (0, 2), (4, 6)]),
    (4, 6, [(4, 6)]),
    (1, 7, [(1, 2), (2, 4), (4, 7)]),
    (10, 15, [(8, 10), (10, 12), (12, 15), (0, 8)]),
    (24, 31, [(16, 24), (24, 31), (0, 16)]),
    (81, 95, [(80, 81), (81, 82), (82, 84), (84, 88), (88, 95), (64, 80), (0, 64)]),
]

OTHER_HASH = bytes.fromhex("abacaba000000000000000000000000000000000000000000060061e00123456")


def _hashes(n: int, salt: bytes = b"") -> list[bytes]:
    return [leaf_hash(salt + i.to_bytes(4, "big")) for i in range(n)]


def _flip(proof: Sequence[bytes], element: int, bit: int) -> list[bytes]:
    out = list(proof)
    changed = bytearray(out[element])
    changed[bit // 8] ^= 1 << (bit % 8)
    out[element] = bytes(changed)
    return out


def _ranges(leaf_hashes: Sequence[bytes], ranges: Sequence[tuple[int, int]]) -> list[bytes]:
    return [root_from_hashes(leaf_hashes[lo:hi]) for lo, hi in ranges]


# ---- the RFC 6962 §2.1 definitions, literally, as a reference ----


def _k(n: int) -> int:
    k = 1
    while k * 2 < n:
        k *= 2
    return k


def _ref_mth(d: Sequence[bytes]) -> bytes:
    if len(d) == 1:
        return d[0]
    k = _k(len(d))
    return node_hash(_ref_mth(d[:k]), _ref_mth(d[k:]))


def _ref_path(m: int, d: Sequence[bytes]) -> list[bytes]:
    if len(d) == 1:
        return []
    k = _k(len(d))
    if m < k:
        return [*_ref_path(m, d[:k]), _ref_mth(d[k:])]
    return [*_ref_path(m - k, d[k:]), _ref_mth(d[:k])]


def _ref_subproof(m: int, d: Sequence[bytes], b: bool) -> list[bytes]:
    if m == len(d):
        return [] if b else [_ref_mth(d)]
    k = _k(len(d))
    if m <= k:
        return [*_ref_subproof(m, d[:k], b), _ref_mth(d[k:])]
    return [*_ref_subproof(m - k, d[k:], False), _ref_mth(d[:k])]


# ---- corruptions, after corruptInclusionProof / corruptConsistencyProof in
# transparency-dev/merkle proof/verify_test.go ----


def _inclusion_probes(
    leaf: bytes, index: int, size: int, proof: list[bytes], good_root: bytes
) -> dict[str, bool]:
    probes = {
        "index - 1": verify_inclusion(leaf, index - 1, size, proof, good_root),
        "index + 1": verify_inclusion(leaf, index + 1, size, proof, good_root),
        "index ^ 2": verify_inclusion(leaf, index ^ 2, size, proof, good_root),
        "size * 2": verify_inclusion(leaf, index, size * 2, proof, good_root),
        "size // 2": verify_inclusion(leaf, index, size // 2, proof, good_root),
        "wrong leaf": verify_inclusion(leaf_hash(b"wrong"), index, size, proof, good_root),
        "empty root": verify_inclusion(leaf, index, size, proof, EMPTY_ROOT),
        "other root": verify_inclusion(leaf, index, size, proof, OTHER_HASH),
        "trailing root": verify_inclusion(leaf, index, size, [*proof, good_root], good_root),
        "trailing short": verify_inclusion(leaf, index, size, [*proof, b""], good_root),
        "preceding root": verify_inclusion(leaf, index, size, [good_root, *proof], good_root),
    }
    for i in range(len(proof)):
        probes[f"proof[{i}] bit 3"] = verify_inclusion(
            leaf, index, size, _flip(proof, i, 3), good_root
        )
    if proof:
        probes["removed last"] = verify_inclusion(leaf, index, size, proof[:-1], good_root)
        probes["removed first"] = verify_inclusion(leaf, index, size, proof[1:], good_root)
    if len(proof) > 1:
        inserted = [proof[0], OTHER_HASH, *proof[1:]]
        probes["inserted"] = verify_inclusion(leaf, index, size, inserted, good_root)
    return probes


def _consistency_probes(
    size1: int, size2: int, root1: bytes, root2: bytes, proof: list[bytes]
) -> dict[str, bool]:
    probes = {
        "size1 - 1": verify_consistency(size1 - 1, size2, root1, root2, proof),
        "size1 + 1": verify_consistency(size1 + 1, size2, root1, root2, proof),
        "size1 ^ 2": verify_consistency(size1 ^ 2, size2, root1, root2, proof),
        "size2 * 2": verify_consistency(size1, size2 * 2, root1, root2, proof),
        "size2 // 2": verify_consistency(size1, size2 // 2, root1, root2, proof),
        "wrong root1": verify_consistency(size1, size2, OTHER_HASH, root2, proof),
        "wrong root2": verify_consistency(size1, size2, root1, OTHER_HASH, proof),
        "swapped roots": verify_consistency(size1, size2, root2, root1, proof),
        "empty proof": verify_consistency(size1, size2, root1, root2, []),
        "trailing root1": verify_consistency(size1, size2, root1, root2, [*proof, root1]),
        "trailing root2": verify_consistency(size1, size2, root1, root2, [*proof, root2]),
        "trailing short": verify_consistency(size1, size2, root1, root2, [*proof, b""]),
        "preceding root1": verify_consistency(size1, size2, root1, root2, [root1, *proof]),
        "preceding root2": verify_consistency(size1, size2, root1, root2, [root2, *proof]),
        "preceding proof[0]": verify_consistency(size1, size2, root1, root2, [proof[0], *proof]),
        "truncated": verify_consistency(size1, size2, root1, root2, proof[:-1]),
        "first dropped": verify_consistency(size1, size2, root1, root2, proof[1:]),
    }
    for i in range(len(proof)):
        probes[f"proof[{i}] bit 4"] = verify_consistency(
            size1, size2, root1, root2, _flip(proof, i, 4)
        )
    return probes


def _accepted(probes: dict[str, bool]) -> list[str]:
    return [name for name, ok in probes.items() if ok]


# ---- hashing ----


def test_root_of_every_prefix_of_the_ct_leaves_matches_the_known_answer() -> None:
    for size, want in enumerate(ROOTS):
        assert root(LEAVES[:size]) == want
        assert root_from_hashes(LEAF_HASHES[:size]) == want
    assert root([]).hex().startswith("e3b0c442")
    assert root(LEAVES[:1]).hex().startswith("6e340b9c")
    assert root(LEAVES).hex().startswith("5dc9da79")


def test_leaf_hashes_match_the_known_answers() -> None:
    assert [leaf_hash(d) for d in LEAVES] == LEAF_HASHES


def test_leaf_and_node_hashes_are_domain_separated() -> None:
    a, b = LEAF_HASHES[0], LEAF_HASHES[1]
    assert leaf_hash(a + b) != node_hash(a, b)
    assert root([a + b]) != root(LEAVES[:2])


def test_root_matches_the_recursive_rfc_definition_for_every_size_to_130() -> None:
    hashes = _hashes(130)
    for size in range(1, 131):
        assert root_from_hashes(hashes[:size]) == _ref_mth(hashes[:size])


def test_incremental_log_root_matches_the_batch_root_at_every_size() -> None:
    hashes = _hashes(200)
    log = MerkleLog()
    assert log.root() == EMPTY_ROOT
    for size, h in enumerate(hashes, start=1):
        assert log.append_hash(h) == size - 1
        assert log.root() == root_from_hashes(hashes[:size])
    assert log.root_at(57) == root_from_hashes(hashes[:57])
    assert MerkleLog(hashes[:9]).root() == root_from_hashes(hashes[:9])


def test_log_appends_data_as_leaves_and_serves_proofs() -> None:
    log = MerkleLog()
    for d in LEAVES:
        log.append(d)
    assert log.size == 8
    assert log.root() == ROOTS[8]
    assert log.inclusion_proof(5) == INCLUSION_VECTORS[2][2]
    assert log.consistency_proof(6, 7) == CONSISTENCY_VECTORS[4][2]
    with pytest.raises(InvalidInput):
        log.append_hash(b"short")


# ---- inclusion ----


@pytest.mark.parametrize(("index", "size", "proof"), INCLUSION_VECTORS)
def test_inclusion_vector_is_generated_verified_and_no_corruption_verifies(
    index: int, size: int, proof: list[bytes]
) -> None:
    assert inclusion_proof(LEAF_HASHES, index, size) == proof
    assert verify_inclusion(LEAF_HASHES[index], index, size, proof, ROOTS[size])
    probes = _inclusion_probes(LEAF_HASHES[index], index, size, proof, ROOTS[size])
    assert _accepted(probes) == []


@pytest.mark.parametrize(("index", "size", "ranges"), INCLUSION_SHAPES)
def test_inclusion_proof_has_the_published_shape(
    index: int, size: int, ranges: list[tuple[int, int]]
) -> None:
    hashes = _hashes(size)
    assert inclusion_proof(hashes, index, size) == _ranges(hashes, ranges)


def test_inclusion_proofs_match_the_recursive_rfc_path_up_to_size_64() -> None:
    hashes = _hashes(64)
    for size in range(1, 65):
        for index in range(size):
            assert inclusion_proof(hashes, index, size) == _ref_path(index, hashes[:size])


def test_inclusion_proof_for_leaf_0_of_size_8_does_not_verify_against_the_size_7_root() -> None:
    proof = inclusion_proof(LEAF_HASHES, 0, 8)
    assert not verify_inclusion(LEAF_HASHES[0], 0, 7, proof, ROOTS[7])
    assert not verify_inclusion(LEAF_HASHES[0], 0, 8, proof, ROOTS[7])


def test_a_proof_does_not_bind_the_claimed_size_so_sizes_come_from_signed_heads() -> None:
    # The research pitfall, pinned: the RFC 9162 walk only checks the proof's shape, and
    # leaf 0 has the same shape in trees of 7 and 8. Callers must take size and root
    # from one signed tree head.
    proof = inclusion_proof(LEAF_HASHES, 0, 8)
    assert verify_inclusion(LEAF_HASHES[0], 0, 7, proof, ROOTS[8])
    assert verify_consistency(1, 4, ROOTS[1], ROOTS[3], consistency_proof(LEAF_HASHES, 1, 3))


def test_inclusion_rejects_impossible_positions_and_malformed_hashes() -> None:
    leaf = LEAF_HASHES[0]
    assert not verify_inclusion(leaf, 0, 0, [], EMPTY_ROOT)
    assert not verify_inclusion(leaf, 1, 1, [], leaf)
    assert not verify_inclusion(leaf, -1, 1, [], leaf)
    assert not verify_inclusion(b"", 0, 1, [], b"")
    assert not verify_inclusion(leaf, 0, 1, [], b"")
    assert verify_inclusion(leaf, 0, 1, [], leaf)


def test_inclusion_proof_refuses_positions_outside_the_tree() -> None:
    with pytest.raises(InvalidInput):
        inclusion_proof(LEAF_HASHES, 8, 8)
    with pytest.raises(InvalidInput):
        inclusion_proof(LEAF_HASHES, -1, 8)
    with pytest.raises(InvalidInput):
        inclusion_proof(LEAF_HASHES, 0, 9)
    with pytest.raises(InvalidInput):
        inclusion_proof(LEAF_HASHES, 0, 0)


@given(st.data())
def test_every_inclusion_proof_verifies_and_every_corruption_fails(data: st.DataObject) -> None:
    size = data.draw(st.integers(min_value=1, max_value=300), label="size")
    index = data.draw(st.integers(min_value=0, max_value=size - 1), label="index")
    hashes = _hashes(2 * size + 1, data.draw(st.binary(max_size=4), label="salt"))
    good_root = root_from_hashes(hashes[:size])
    proof = inclusion_proof(hashes, index, size)
    leaf = hashes[index]
    assert verify_inclusion(leaf, index, size, proof, good_root)
    assert _accepted(_inclusion_probes(leaf, index, size, proof, good_root)) == []

    if size > 1:
        other_index = data.draw(st.integers(0, size - 1).filter(lambda i: i != index))
        assert not verify_inclusion(leaf, other_index, size, proof, good_root)
    other_size = data.draw(st.integers(index + 1, 2 * size + 1).filter(lambda s: s != size))
    other_root = root_from_hashes(hashes[:other_size])
    assert not verify_inclusion(leaf, index, other_size, proof, other_root)
    if proof:
        element = data.draw(st.integers(0, len(proof) - 1), label="element")
        bit = data.draw(st.integers(0, 255), label="bit")
        assert not verify_inclusion(leaf, index, size, _flip(proof, element, bit), good_root)
    extra = data.draw(st.binary(min_size=32, max_size=32), label="extra")
    assert not verify_inclusion(leaf, index, size, [*proof, extra], good_root)
    assert not verify_inclusion(leaf, index, size, [extra, *proof], good_root)


# ---- consistency ----


@pytest.mark.parametrize(("size1", "size2", "proof"), CONSISTENCY_VECTORS)
def test_consistency_vector_is_generated_verified_and_no_corruption_verifies(
    size1: int, size2: int, proof: list[bytes]
) -> None:
    assert consistency_proof(LEAF_HASHES, size1, size2) == proof
    assert verify_consistency(size1, size2, ROOTS[size1], ROOTS[size2], proof)
    if proof:
        probes = _consistency_probes(size1, size2, ROOTS[size1], ROOTS[size2], proof)
        assert _accepted(probes) == []


@pytest.mark.parametrize(("size1", "size2", "ranges"), CONSISTENCY_SHAPES)
def test_consistency_proof_has_the_published_shape(
    size1: int, size2: int, ranges: list[tuple[int, int]]
) -> None:
    hashes = _hashes(size2)
    assert consistency_proof(hashes, size1, size2) == _ranges(hashes, ranges)


def test_consistency_proofs_match_the_recursive_rfc_subproof_up_to_size_48() -> None:
    hashes = _hashes(48)
    for size2 in range(1, 49):
        for size1 in range(1, size2):
            want = _ref_subproof(size1, hashes[:size2], True)
            assert consistency_proof(hashes, size1, size2) == want


def test_consistency_edge_cases() -> None:
    r = ROOTS
    # Same size: an empty proof and equal roots, nothing else.
    assert verify_consistency(5, 5, r[5], r[5], [])
    assert not verify_consistency(5, 5, r[5], r[4], [])
    assert not verify_consistency(5, 5, r[5], r[5], [r[5]])
    assert consistency_proof(LEAF_HASHES, 5, 5) == []
    # From the empty tree: trivially consistent by an empty proof, if it is the empty root.
    assert verify_consistency(0, 8, EMPTY_ROOT, r[8], [])
    assert verify_consistency(0, 0, EMPTY_ROOT, EMPTY_ROOT, [])
    assert not verify_consistency(0, 8, EMPTY_ROOT, r[8], [EMPTY_ROOT])
    assert not verify_consistency(0, 8, OTHER_HASH, r[8], [])
    assert consistency_proof(LEAF_HASHES, 0, 8) == []
    # Time travel and negative sizes.
    assert not verify_consistency(8, 7, r[8], r[7], consistency_proof(LEAF_HASHES, 7, 8))
    assert not verify_consistency(-1, 7, r[0], r[7], [])
    assert not verify_consistency(1, 2, r[1], r[2], [])
    with pytest.raises(InvalidInput):
        consistency_proof(LEAF_HASHES, 8, 7)
    with pytest.raises(InvalidInput):
        consistency_proof(LEAF_HASHES, 1, 9)


def test_a_verifier_must_consume_the_whole_proof_and_check_both_roots() -> None:
    # hash-tree 0.1.1 did neither fully: a proof still verified for a wrong second size.
    proof = consistency_proof(LEAF_HASHES, 6, 8)
    assert not verify_consistency(6, 7, ROOTS[6], ROOTS[7], proof)
    assert not verify_consistency(6, 8, ROOTS[6], ROOTS[7], proof)
    assert not verify_consistency(6, 8, ROOTS[5], ROOTS[8], proof)
    assert not verify_consistency(6, 8, ROOTS[6], ROOTS[8], [*proof, ROOTS[8]])


@given(st.data())
def test_every_consistency_proof_verifies_and_every_corruption_fails(data: st.DataObject) -> None:
    size2 = data.draw(st.integers(min_value=1, max_value=300), label="size2")
    size1 = data.draw(st.integers(min_value=0, max_value=size2), label="size1")
    hashes = _hashes(2 * size2 + 1, data.draw(st.binary(max_size=4), label="salt"))
    root1, root2 = root_from_hashes(hashes[:size1]), root_from_hashes(hashes[:size2])
    proof = consistency_proof(hashes, size1, size2)
    assert verify_consistency(size1, size2, root1, root2, proof)
    if not 0 < size1 < size2:
        assert proof == []
        return
    assert _accepted(_consistency_probes(size1, size2, root1, root2, proof)) == []

    wrong1 = data.draw(st.integers(1, size2).filter(lambda s: s != size1), label="wrong1")
    assert not verify_consistency(wrong1, size2, root1, root2, proof)
    wrong1_root = root_from_hashes(hashes[:wrong1])
    assert not verify_consistency(wrong1, size2, wrong1_root, root2, proof)
    wrong2 = data.draw(st.integers(size1, 2 * size2 + 1).filter(lambda s: s != size2))
    wrong2_root = root_from_hashes(hashes[:wrong2])
    assert not verify_consistency(size1, wrong2, root1, wrong2_root, proof)
    element = data.draw(st.integers(0, len(proof) - 1), label="element")
    bit = data.draw(st.integers(0, 255), label="bit")
    assert not verify_consistency(size1, size2, root1, root2, _flip(proof, element, bit))
    extra = data.draw(st.binary(min_size=32, max_size=32), label="extra")
    assert not verify_consistency(size1, size2, root1, root2, [*proof, extra])
    assert not verify_consistency(size1, size2, root1, root2, [extra, *proof])


# ---- tampering ----


@given(st.data())
def test_tampering_with_the_entries_changes_the_root(data: st.DataObject) -> None:
    size = data.draw(st.integers(min_value=1, max_value=300), label="size")
    entries = [b"entry %d" % i for i in range(size)]
    original = root(entries)
    i = data.draw(st.integers(0, size - 1), label="i")

    changed = list(entries)
    changed[i] = data.draw(st.binary().filter(lambda b: b != entries[i]), label="new")
    assert root(changed) != original

    deleted = entries[:i] + entries[i + 1 :]
    assert root(deleted) != original

    at = data.draw(st.integers(0, size), label="at")
    inserted = [*entries[:at], data.draw(st.binary(), label="extra"), *entries[at:]]
    assert root(inserted) != original

    if i + 1 < size:
        swapped = list(entries)
        swapped[i], swapped[i + 1] = swapped[i + 1], swapped[i]
        assert root(swapped) != original
