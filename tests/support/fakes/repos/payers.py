"""In-memory payers: the fake of storage.repos.payers, method for method, over plain dicts."""

from __future__ import annotations

from datetime import datetime

from core.domain.model import (
    PayerAuth,
)
from tests.support.fakes.state import MemoryRepo


class InMemoryPayers(MemoryRepo):
    """Payment passwords inside one transaction, over the in-memory state."""

    async def get_payer_auth(self, payer_ref: str) -> PayerAuth | None:
        return self.s.payers.get(payer_ref)

    async def set_pin(self, payer_ref: str, pin_hash: str, now: datetime) -> None:
        old = self.s.payers.get(payer_ref)
        lockouts = old.lockouts if old else 0
        until = old.locked_until if old else None
        self.s.payers[payer_ref] = PayerAuth(payer_ref, pin_hash, 0, lockouts, until)
