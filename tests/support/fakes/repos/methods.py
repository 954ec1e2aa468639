"""In-memory methods and transfers: the fake of storage.repos.methods, method for method."""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime

from core.domain.errors import Conflict
from core.domain.methods import MethodId, PayeeMethod, Transfer
from core.domain.model import MethodKind, OrderId, PayeeId, PaymentId
from tests.support.fakes.state import MemoryRepo


class InMemoryMethods(MemoryRepo):
    """Methods and transfers inside one transaction, over the in-memory state."""

    async def add_method(self, method: PayeeMethod) -> bool:
        if await self.method_of_kind(method.payee_id, method.kind) is not None:
            return False
        self.s.methods.methods[method.id] = method
        return True

    async def methods_of(self, payee_id: PayeeId) -> list[PayeeMethod]:
        found = [m for m in self.s.methods.methods.values() if m.payee_id == payee_id]
        return sorted(found, key=lambda m: (m.created_at, m.id))

    async def method_of_kind(self, payee_id: PayeeId, kind: MethodKind) -> PayeeMethod | None:
        return next((m for m in await self.methods_of(payee_id) if m.kind == kind), None)

    async def remove_method(self, payee_id: PayeeId, method_id: MethodId) -> bool:
        found = self.s.methods.methods.get(method_id)
        if found is None or found.payee_id != payee_id:
            return False
        del self.s.methods.methods[method_id]
        return True

    async def add_transfer(self, transfer: Transfer) -> None:
        if transfer.reference in self.s.methods.transfers:
            raise Conflict("transfer reference taken")
        self.s.methods.transfers[transfer.reference] = transfer

    async def get_transfer(self, reference: str) -> Transfer | None:
        return self.s.methods.transfers.get(reference)

    async def claim_transfer(self, reference: str, now: datetime, utr: str | None) -> bool:
        t = self.s.methods.transfers.get(reference)
        if t is None or t.claimed_at is not None:
            return False
        self.s.methods.transfers[reference] = replace(t, claimed_at=now, utr=utr)
        return True

    async def settle_transfer(self, reference: str, payment_id: PaymentId) -> bool:
        t = self.s.methods.transfers.get(reference)
        if t is None or t.payment_id is not None:
            return False
        self.s.methods.transfers[reference] = replace(t, payment_id=payment_id)
        return True

    async def open_transfers(self, payee_id: PayeeId, limit: int) -> list[Transfer]:
        found = [
            t
            for t in self.s.methods.transfers.values()
            if t.payee_id == payee_id and t.payment_id is None
        ]
        found.sort(key=lambda t: t.reference)
        found.sort(key=lambda t: t.issued_at, reverse=True)
        return found[:limit]

    async def transfers_of_order(self, order_id: OrderId) -> list[Transfer]:
        found = [t for t in self.s.methods.transfers.values() if t.order_id == order_id]
        return sorted(found, key=lambda t: (t.issued_at, t.reference))
