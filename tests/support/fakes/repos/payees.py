"""In-memory payees: the fake of storage.repos.payees, method for method, over plain dicts."""

from __future__ import annotations

from datetime import datetime

from core.domain.model import (
    Payee,
    PayeeId,
)
from tests.support.fakes.state import MemoryRepo


class InMemoryPayees(MemoryRepo):
    """Payees and their API keys inside one transaction, over the in-memory state."""

    async def add_payee(self, payee: Payee) -> None:
        self.s.payees[payee.id] = payee

    async def get_payee(self, payee_id: PayeeId) -> Payee | None:
        return self.s.payees.get(payee_id)

    async def get_payee_by_name(self, name: str) -> Payee | None:
        return next((p for p in self.s.payees.values() if p.name == name), None)

    async def add_api_key(self, key_hash: str, payee_id: PayeeId, now: datetime) -> None:
        self.s.keys[key_hash] = payee_id

    async def payee_for_key(self, key_hash: str) -> PayeeId | None:
        return self.s.keys.get(key_hash)
