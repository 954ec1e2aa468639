"""Following the transparency ledger as the run grows it: leaves, signed heads, money per order.

Every step reads only the new entries and heads (the whole-ledger audit of
core.domain.ledger.audit runs now and then, and at the end): each new leaf is recomputed
from its fields, each new head must be signed and match the tree the watcher has built
itself.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from core.domain.books import LedgerTally
from core.domain.ledger.audit import audit, entry_of
from core.domain.ledger.entries import SignedHead, head_message
from core.domain.ledger.merkle import MerkleLog, leaf_hash
from tests.sim.stores import SimDb
from tests.support.fakes.signer import FakeSigner


@dataclass(slots=True)
class LedgerWatch:
    signer: FakeSigner
    tree: MerkleLog = field(default_factory=MerkleLog)
    heads_seen: int = 0
    last_head: SignedHead | None = None
    tally: LedgerTally = field(default_factory=LedgerTally)  # entries per payment and order

    async def follow(self, db: SimDb) -> list[str]:
        """Take in the entries and heads added since the last call; what is wrong with them."""
        problems: list[str] = []
        for row in await db.ledger_rows(self.tree.size):
            index = int(row["idx"])
            if index != self.tree.size:
                problems.append(f"ledger entry {index} where {self.tree.size} was expected")
                return problems
            entry = entry_of(row, index)
            h = leaf_hash(entry.leaf())
            if h.hex() != row["leaf_hash"]:
                problems.append(f"ledger entry {index}: leaf hash does not match its fields")
            self.tree.append_hash(h)
            self.tally.add(entry)
        heads = await db.heads()
        for signed in heads[self.heads_seen :]:
            problems.extend(self._head(signed))
        self.heads_seen = len(heads)
        return problems

    def _head(self, signed: SignedHead) -> list[str]:
        n = self.heads_seen + 1
        problems = []
        if signed.key_id != self.signer.key_id or not self.signer.verify(
            head_message(signed.head), signed.signature
        ):
            problems.append(f"head #{n}: signature does not verify")
        size = signed.head.tree_size
        if size > self.tree.size:
            problems.append(f"head #{n}: signs {size} entries, the ledger has {self.tree.size}")
        elif self.tree.root_at(size) != signed.head.root_hash:
            problems.append(f"head #{n}: root differs from the entries' own tree")
        last = self.last_head
        if last is not None and (
            size < last.head.tree_size or signed.head.timestamp_ms < last.head.timestamp_ms
        ):
            problems.append(f"head #{n}: goes back in size or time")
        self.last_head = signed
        self.heads_seen = n
        return problems


async def full_audit(db: SimDb, signer: FakeSigner) -> list[str]:
    """core.domain.ledger.audit over every stored row, with the signer checking each head."""
    rows, size, heads = await db.whole_ledger()

    def check(signed: SignedHead) -> str | None:
        if signed.key_id != signer.key_id:
            return f"unknown key {signed.key_id}"
        ok = signer.verify(head_message(signed.head), signed.signature)
        return None if ok else "bad signature"

    report = audit(rows, size, heads, check)
    return [f"audit: {p.where}: {p.what}" for p in report.problems]
