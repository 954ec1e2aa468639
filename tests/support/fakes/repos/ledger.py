"""In-memory ledger: the fake of storage.repos.ledger, method for method, over plain dicts."""

from __future__ import annotations

from core.domain.ledger.entries import (
    LedgerDraft,
    LedgerEntry,
    PayerSecret,
    SignedHead,
    commitment,
)
from core.domain.ledger.merkle import leaf_hash
from core.domain.model import (
    PaymentId,
)
from tests.support.fakes.state import MemoryRepo, MemoryState


class InMemoryLedger(MemoryRepo):
    """Ledger entries and signed heads inside one transaction, over the in-memory state."""

    def __init__(self, s: MemoryState) -> None:
        super().__init__(s)
        self._drafts: list[LedgerDraft] = []

    def append_ledger(self, draft: LedgerDraft) -> None:
        self._drafts.append(draft)

    def flush_ledger(self) -> None:
        for d in self._drafts:
            secret = None
            if d.payer_ref:
                secret = PayerSecret(d.payer_ref, f"{len(self.s.ledger):032x}", d.payer_name)
            commits = commitment(secret.payer_ref, secret.salt) if secret else None
            entry = d.entry(len(self.s.ledger), commits)
            self.s.ledger.append((entry, secret))
        self._drafts = []

    async def ledger_size(self, *, lock: bool = False) -> int:
        return len(self.s.ledger)

    async def ledger_leaf_hashes(self, start: int, end: int) -> list[bytes]:
        return [leaf_hash(e.leaf()) for e, _ in self.s.ledger[start:end]]

    async def ledger_entries(self, start: int, end: int) -> list[LedgerEntry]:
        return [e for e, _ in self.s.ledger[start:end]]

    async def ledger_entries_of_payment(self, payment_id: PaymentId) -> list[LedgerEntry]:
        return [e for e, _ in self.s.ledger if e.payment_id == payment_id]

    async def payer_secret(self, index: int) -> PayerSecret | None:
        return self.s.ledger[index][1] if 0 <= index < len(self.s.ledger) else None

    async def add_head(self, head: SignedHead) -> None:
        self.s.heads.append(head)

    async def latest_head(self) -> SignedHead | None:
        return self.s.heads[-1] if self.s.heads else None

    async def signed_heads(self) -> list[SignedHead]:
        return list(self.s.heads)
