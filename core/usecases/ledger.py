"""The ledger's use cases: signed tree heads, inclusion and consistency proofs, receipts."""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass

from core.domain.errors import InvalidInput, InvariantViolation, NotFound, Unavailable
from core.domain.ledger.entries import (
    RECEIPT_KINDS,
    LedgerEntry,
    PayerSecret,
    SignedHead,
    TreeHead,
    head_message,
    receipt_id,
)
from core.domain.ledger.merkle import MerkleLog
from core.domain.model import PaymentId
from core.ports.store import Tx
from core.usecases.deps import UseCases

log = logging.getLogger(__name__)

# Entries a payer gets a receipt for: their part was paid (or its money held).


@dataclass(frozen=True, slots=True)
class InclusionProof:
    index: int
    tree_size: int
    leaf_hash: bytes
    path: tuple[bytes, ...]


@dataclass(frozen=True, slots=True)
class ConsistencyProof:
    first: int
    second: int
    path: tuple[bytes, ...]


@dataclass(frozen=True, slots=True)
class Receipt:
    """Everything a payer needs to check, offline, that their payment is in the ledger."""

    receipt_id: str
    entry: LedgerEntry
    payer: PayerSecret
    proof: InclusionProof
    head: SignedHead


class Ledger(UseCases):
    """The transparency ledger: signed heads, proofs and receipts."""

    _tree: MerkleLog | None = None
    _tree_lock: asyncio.Lock | None = None

    def _tree_guard(self) -> asyncio.Lock:
        """One coroutine at a time grows the shared tree (two would append the same leaves)."""
        if self._tree_lock is None:
            self._tree_lock = asyncio.Lock()
        return self._tree_lock

    async def _grown_tree(self, tx: Tx, size: int) -> MerkleLog:
        """The cached tree grown to `size` entries, as a new tree when it grew; call it
        under _tree_guard, and keep the result (`self._tree = ...`) only once the
        transaction has returned.

        A transaction may see entries that are not durable yet (SQLite's group commit
        shares one transaction among several, storage/sqlite_loop.py): if their commit
        fails, caching them would make every later head sign a tree that is not the log.
        """
        tree = self._tree if self._tree is not None else MerkleLog()
        fresh = await tx.ledger.ledger_leaf_hashes(tree.size, size)
        if tree.size + len(fresh) != size:
            raise InvariantViolation("the ledger has fewer entries than its size says")
        if fresh:
            tree = tree.copy()
            for h in fresh:
                tree.append_hash(h)
        return tree

    async def _synced_tree(self) -> MerkleLog:
        """The Merkle tree of every committed entry, read incrementally from storage."""
        async with self._tree_guard():
            async with self._d.store.transaction() as tx:
                tree = await self._grown_tree(tx, await tx.ledger.ledger_size())
            self._tree = tree  # committed: the transaction returned
            return tree

    async def ledger_head(self) -> SignedHead | None:
        """The newest signed tree head, if any was signed."""
        async with self._d.store.transaction() as tx:
            return await tx.ledger.latest_head()

    async def sign_head(self, *, force: bool = False) -> SignedHead:
        """Sign the current tree head; without `force`, only when the tree grew since the last.

        The ledger counter stays locked until the head is stored, so no entry is appended and
        no other signer (in any process) stores a head meanwhile: heads are stored in order
        of size and time, as an audit checks them.
        """
        signer = self._d.signer
        if signer is None:
            raise Unavailable("the ledger has no signing key configured")
        if not force:  # the common case, without the lock (GET /ledger/head is public)
            async with self._d.store.transaction() as tx:
                latest = await tx.ledger.latest_head()
                if latest is not None and latest.head.tree_size == await tx.ledger.ledger_size():
                    return latest
        async with self._tree_guard():
            async with self._d.store.transaction() as tx:
                tree = await self._grown_tree(tx, await tx.ledger.ledger_size(lock=True))
                latest = await tx.ledger.latest_head()
                if latest is not None and latest.head.tree_size == tree.size and not force:
                    signed = latest
                else:
                    now_ms = int(self._d.clock.now().timestamp() * 1000)
                    if latest is not None:  # heads never go back in time
                        now_ms = max(now_ms, latest.head.timestamp_ms)
                    head = TreeHead(tree.size, tree.root(), now_ms)
                    signed = SignedHead(head, signer.key_id, signer.sign(head_message(head)))
                    await tx.ledger.add_head(signed)
            self._tree = tree  # committed: the transaction returned
        if signed is not latest:
            log.info("signed ledger head: size %d", signed.head.tree_size)
        return signed

    async def inclusion(self, index: int, tree_size: int) -> InclusionProof:
        tree = await self._synced_tree()
        if not 0 <= index < tree_size <= tree.size:
            raise InvalidInput(
                "index",
                "the entry must be below tree_size, and tree_size at most {size}",
                size=tree.size,
            )
        path = tree.inclusion_proof(index, tree_size)
        return InclusionProof(index, tree_size, tree.leaf_hashes[index], tuple(path))

    async def consistency(self, first: int, second: int) -> ConsistencyProof:
        tree = await self._synced_tree()
        if not 0 <= first <= second <= tree.size:
            raise InvalidInput(
                "first",
                "first must not exceed second, and second must be at most {size}",
                size=tree.size,
            )
        return ConsistencyProof(first, second, tuple(tree.consistency_proof(first, second)))

    async def receipt_entry(
        self, payment_id: str, *, payer_ref: str | None = None, payee_id: str | None = None
    ) -> tuple[LedgerEntry, PayerSecret]:
        """The ledger entry of a paid part, for its payer or for the order's payee.

        Anyone else is told it does not exist.
        """
        async with self._d.store.transaction() as tx:
            entries = await tx.ledger.ledger_entries_of_payment(PaymentId(payment_id))
            entry = next((e for e in entries if e.kind in RECEIPT_KINDS), None)
            secret = await tx.ledger.payer_secret(entry.index) if entry is not None else None
        allowed = secret is not None and (
            (payer_ref is not None and secret.payer_ref == payer_ref)
            or (payee_id is not None and entry is not None and entry.payee_id == payee_id)
        )
        if entry is None or secret is None or not allowed:
            raise NotFound("no receipt for this payment", payment_id=payment_id)
        return entry, secret

    async def receipt(
        self, payment_id: str, *, payer_ref: str | None = None, payee_id: str | None = None
    ) -> Receipt:
        """A paid part's receipt: its entry, proven in a signed head (signed now if need be)."""
        entry, secret = await self.receipt_entry(payment_id, payer_ref=payer_ref, payee_id=payee_id)
        head = await self.ledger_head()
        if head is None or head.head.tree_size <= entry.index:
            head = await self.sign_head()
        proof = await self.inclusion(entry.index, head.head.tree_size)
        return Receipt(receipt_id(entry, proof.leaf_hash), entry, secret, proof, head)
