"""RFC 6962 / RFC 9162 Merkle tree: tree hashes, inclusion and consistency proofs.

Hashing (RFC 6962 §2.1, RFC 9162 §2.1.1): SHA-256; a leaf is SHA-256(0x00 || data), an
interior node SHA-256(0x01 || left || right); the empty tree is SHA-256 of the empty string.
A tree of n > 1 leaves splits at k, the largest power of two strictly below n.

Proof generation follows the recursive PATH and SUBPROOF definitions (RFC 6962 §2.1.1,
§2.1.2); verification follows the bit-walking algorithms of RFC 9162 §2.1.3.2 and
§2.1.4.2, which also pin the exact proof length. Verifiers return False for anything
malformed and never raise: a proof is untrusted input.

A proof binds a leaf (or an old tree) to a root hash, not to the claimed size of that
root's tree: the proof for leaf 0 of a size-8 tree also verifies against the size-8 root
when a caller claims size 7, and the 1 -> 3 consistency proof verifies for a claimed new
size of 4 with the size-3 root. Take each size and root together from one signed tree
head, never from unsigned request input.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence

from core.domain.errors import InvalidInput

HASH_SIZE = 32
EMPTY_ROOT = hashlib.sha256(b"").digest()
_LEAF_PREFIX = b"\x00"
_NODE_PREFIX = b"\x01"


def leaf_hash(data: bytes) -> bytes:
    """The hash of one leaf: SHA-256(0x00 || data)."""
    return hashlib.sha256(_LEAF_PREFIX + data).digest()


def node_hash(left: bytes, right: bytes) -> bytes:
    """The hash of an interior node: SHA-256(0x01 || left || right)."""
    return hashlib.sha256(_NODE_PREFIX + left + right).digest()


def root(leaves: Sequence[bytes]) -> bytes:
    """MTH over leaf *data* (each entry is hashed as a leaf first)."""
    return root_from_hashes([leaf_hash(d) for d in leaves])


def root_from_hashes(leaf_hashes: Sequence[bytes]) -> bytes:
    """MTH over already computed leaf hashes; the empty tree hashes to EMPTY_ROOT."""
    if not leaf_hashes:
        return EMPTY_ROOT
    return _subtree_hash(leaf_hashes, 0, len(leaf_hashes))


def _split(n: int) -> int:
    """The largest power of two strictly below n (n >= 2)."""
    return 1 << ((n - 1).bit_length() - 1)


def _subtree_hash(hashes: Sequence[bytes], lo: int, hi: int) -> bytes:
    """MTH of hashes[lo:hi] (hi > lo), built level by level.

    Pairing from the left and carrying an odd last node up unhashed gives exactly the
    RFC 6962 shape (left subtree a perfect 2^j, the right one whatever remains).
    """
    level = list(hashes[lo:hi])
    while len(level) > 1:
        paired = [node_hash(level[i], level[i + 1]) for i in range(0, len(level) - 1, 2)]
        if len(level) % 2:
            paired.append(level[-1])
        level = paired
    return level[0]


def _check_size(leaf_hashes: Sequence[bytes], tree_size: int) -> None:
    if not 0 <= tree_size <= len(leaf_hashes):
        raise InvalidInput(
            "tree_size",
            "tree size {tree_size} outside 0..{leaves}",
            tree_size=tree_size,
            leaves=len(leaf_hashes),
        )


def inclusion_proof(leaf_hashes: Sequence[bytes], index: int, tree_size: int) -> list[bytes]:
    """PATH(index, D[tree_size]) over the first `tree_size` leaf hashes, leaf to root."""
    _check_size(leaf_hashes, tree_size)
    if not 0 <= index < tree_size:
        raise InvalidInput(
            "index", "leaf index {index} outside 0..{last}", index=index, last=tree_size - 1
        )
    path: list[bytes] = []
    lo, hi = 0, tree_size
    while hi - lo > 1:
        k = _split(hi - lo)
        if index < lo + k:
            path.append(_subtree_hash(leaf_hashes, lo + k, hi))
            hi = lo + k
        else:
            path.append(_subtree_hash(leaf_hashes, lo, lo + k))
            lo += k
    # Collected root-first; PATH lists the sibling nearest the leaf first.
    path.reverse()
    return path


def consistency_proof(leaf_hashes: Sequence[bytes], old_size: int, new_size: int) -> list[bytes]:
    """PROOF(old_size, D[new_size]) = SUBPROOF(old_size, D[new_size], true).

    Empty when old_size is 0 or equals new_size: there is nothing to prove.
    """
    _check_size(leaf_hashes, new_size)
    if not 0 <= old_size <= new_size:
        raise InvalidInput(
            "old_size",
            "old size {old_size} outside 0..{new_size}",
            old_size=old_size,
            new_size=new_size,
        )
    if old_size in (0, new_size):
        return []
    proof: list[bytes] = []
    m, lo, hi = old_size, 0, new_size
    whole_old_tree = True  # SUBPROOF's b: is [lo, hi) still the old tree's own root?
    while m != hi - lo:
        k = _split(hi - lo)
        if m <= k:
            proof.append(_subtree_hash(leaf_hashes, lo + k, hi))
            hi = lo + k
        else:
            proof.append(_subtree_hash(leaf_hashes, lo, lo + k))
            lo, m, whole_old_tree = lo + k, m - k, False
    if not whole_old_tree:
        proof.append(_subtree_hash(leaf_hashes, lo, hi))
    proof.reverse()
    return proof


def _well_formed(*hashes: bytes) -> bool:
    return all(isinstance(h, bytes) and len(h) == HASH_SIZE for h in hashes)


def verify_inclusion(
    leaf_hash: bytes, index: int, tree_size: int, proof: Sequence[bytes], root: bytes
) -> bool:
    """RFC 9162 §2.1.3.2: does `proof` put `leaf_hash` at `index` under `root`?"""
    if not 0 <= index < tree_size or not _well_formed(leaf_hash, root, *proof):
        return False
    fn, sn, r = index, tree_size - 1, leaf_hash
    for p in proof:
        if sn == 0:
            return False  # more proof than the path has levels
        if fn & 1 or fn == sn:
            r = node_hash(p, r)
            # On the right border: skip the levels where this node has no right sibling.
            while fn != 0 and fn & 1 == 0:
                fn, sn = fn >> 1, sn >> 1
        else:
            r = node_hash(r, p)
        fn, sn = fn >> 1, sn >> 1
    return sn == 0 and r == root


def verify_consistency(
    old_size: int, new_size: int, old_root: bytes, new_root: bytes, proof: Sequence[bytes]
) -> bool:
    """RFC 9162 §2.1.4.2: is the tree (new_size, new_root) an extension of (old_size, old_root)?

    Both roots are recomputed from the proof and the whole proof must be consumed.
    A size-0 tree must carry EMPTY_ROOT; it is consistent with anything, by an empty proof.
    """
    if not 0 <= old_size <= new_size or not _well_formed(old_root, new_root, *proof):
        return False
    if old_size == 0 and old_root != EMPTY_ROOT:
        return False
    if old_size == new_size:
        return not proof and old_root == new_root
    if old_size == 0:
        return not proof
    if not proof:
        return False
    return _walk_consistency(old_size, new_size, old_root, new_root, proof)


def _walk_consistency(
    old_size: int, new_size: int, old_root: bytes, new_root: bytes, proof: Sequence[bytes]
) -> bool:
    """Steps 2-7 of RFC 9162 §2.1.4.2, for 0 < old_size < new_size and a non-empty proof."""
    path = list(proof)
    if old_size & (old_size - 1) == 0:
        # A power-of-two old tree is a complete subtree of the new one: its root is the seed.
        path.insert(0, old_root)
    fn, sn = old_size - 1, new_size - 1
    while fn & 1:
        fn, sn = fn >> 1, sn >> 1
    fr = sr = path[0]
    for c in path[1:]:
        if sn == 0:
            return False  # proof longer than the new tree is tall
        if fn & 1 or fn == sn:
            fr, sr = node_hash(c, fr), node_hash(c, sr)
            while fn != 0 and fn & 1 == 0:
                fn, sn = fn >> 1, sn >> 1
        else:
            sr = node_hash(sr, c)
        fn, sn = fn >> 1, sn >> 1
    return sn == 0 and fr == old_root and sr == new_root


class MerkleLog:
    """An append-only list of leaf hashes with an O(log n) running root.

    Keeps the compact range of the current tree: the roots of the perfect subtrees
    that the binary digits of the size describe, largest first.
    """

    __slots__ = ("_frontier", "_hashes")

    def __init__(self, leaf_hashes: Sequence[bytes] = ()) -> None:
        self._hashes: list[bytes] = []
        self._frontier: list[tuple[int, bytes]] = []  # (subtree size, subtree root)
        for h in leaf_hashes:
            self.append_hash(h)

    @property
    def size(self) -> int:
        return len(self._hashes)

    @property
    def leaf_hashes(self) -> Sequence[bytes]:
        return tuple(self._hashes)

    def copy(self) -> MerkleLog:
        """An independent copy (lists copied, nothing hashed again)."""
        twin = MerkleLog()
        twin._hashes = list(self._hashes)
        twin._frontier = list(self._frontier)
        return twin

    def append(self, data: bytes) -> int:
        """Append one entry's data; returns its leaf index."""
        return self.append_hash(leaf_hash(data))

    def append_hash(self, h: bytes) -> int:
        """Append an already computed leaf hash; returns its leaf index."""
        if not _well_formed(h):
            raise InvalidInput("leaf_hash", "a leaf hash is {size} bytes", size=HASH_SIZE)
        self._hashes.append(h)
        self._frontier.append((1, h))
        while len(self._frontier) > 1 and self._frontier[-2][0] == self._frontier[-1][0]:
            (n, left), (_, right) = self._frontier[-2:]
            self._frontier[-2:] = [(2 * n, node_hash(left, right))]
        return len(self._hashes) - 1

    def root(self) -> bytes:
        """The root of the whole log, folded right to left over the compact range."""
        if not self._frontier:
            return EMPTY_ROOT
        acc = self._frontier[-1][1]
        for _, h in reversed(self._frontier[:-1]):
            acc = node_hash(h, acc)
        return acc

    def root_at(self, tree_size: int) -> bytes:
        """The root of the log as it was at `tree_size` entries."""
        _check_size(self._hashes, tree_size)
        return root_from_hashes(self._hashes[:tree_size])

    def inclusion_proof(self, index: int, tree_size: int | None = None) -> list[bytes]:
        size = self.size if tree_size is None else tree_size
        return inclusion_proof(self._hashes, index, size)

    def consistency_proof(self, old_size: int, new_size: int | None = None) -> list[bytes]:
        size = self.size if new_size is None else new_size
        return consistency_proof(self._hashes, old_size, size)
