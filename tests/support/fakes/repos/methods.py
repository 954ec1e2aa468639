"""In-memory methods and transfers: the fake of storage.repos.methods, method for method."""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime

from core.domain.errors import Conflict
from core.domain.methods import MethodId, PayeeMethod, Transfer
from core.domain.model import MethodKind, OrderId, PayeeId, PaymentId, SubOrderState
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

    async def deny_transfer(self, reference: str, now: datetime) -> bool:
        t = self.s.methods.transfers.get(reference)
        if t is None or t.payment_id is not None or t.denied_at is not None:
            return False
        self.s.methods.transfers[reference] = replace(t, denied_at=now)
        return True

    async def waiting_claims(self, payee_id: PayeeId, limit: int) -> list[Transfer]:
        open_states = (SubOrderState.CLAIMED, SubOrderState.CLOSED)
        found = []
        for t in self.s.methods.transfers.values():
            sub = self.s.subs.get(t.sub_order_id)
            held = sub is not None and sub.checkout_ref == t.reference and sub.state in open_states
            if t.payee_id == payee_id and t.waiting and held:
                found.append(t)
        found.sort(key=lambda t: (t.claimed_at, t.reference))
        return found[:limit]

    async def transfers_of_order(self, order_id: OrderId) -> list[Transfer]:
        found = [t for t in self.s.methods.transfers.values() if t.order_id == order_id]
        return sorted(found, key=lambda t: (t.issued_at, t.reference))
