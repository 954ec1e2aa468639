"""The repository of the transparency ledger: appending buffered entries at commit, reading them
back."""

from __future__ import annotations

from typing import Protocol

from core.domain.ledger.entries import LedgerDraft, LedgerEntry, PayerSecret, SignedHead
from core.domain.model import (
    PaymentId,
)


class LedgerRepo(Protocol):
    """Ledger inside one transaction: storage.repos.ledger and its fake
    (tests.support.fakes.repos.ledger) implement it method for method, in this order."""

    def append_ledger(self, draft: LedgerDraft) -> None:
        """Buffer an entry; the store appends the buffer right before this transaction commits.

        Appending last keeps the ledger counter's lock short and after every other lock.
        """
        ...

    async def ledger_size(self, *, lock: bool = False) -> int:
        """The number of committed entries; `lock` holds the counter until this tx ends.

        While it is held no entry is appended and no other head is signed (Engine.sign_head).
        """
        ...

    async def ledger_leaf_hashes(self, start: int, end: int) -> list[bytes]:
        """The recorded leaf hashes of entries start..end-1."""
        ...

    async def ledger_entries(self, start: int, end: int) -> list[LedgerEntry]: ...

    async def ledger_entries_of_payment(self, payment_id: PaymentId) -> list[LedgerEntry]: ...

    async def payer_secret(self, index: int) -> PayerSecret | None:
        """The opened (decrypted) payer data of one entry, if it names a payer."""
        ...

    async def add_head(self, head: SignedHead) -> None: ...

    async def latest_head(self) -> SignedHead | None: ...

    async def signed_heads(self) -> list[SignedHead]:
        """Every stored signed head, oldest first."""
        ...
