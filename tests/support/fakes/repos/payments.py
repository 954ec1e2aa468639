"""In-memory payments: the fake of storage.repos.payments, method for method, over plain dicts."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace
from datetime import datetime

from core.domain.model import (
    PENDING_PAYMENT_STATUSES,
    OrderId,
    PayeeId,
    Payment,
    PaymentId,
    PaymentStatus,
)
from tests.support.fakes.state import MemoryRepo


class InMemoryPayments(MemoryRepo):
    """Gateway events and payments inside one transaction, over the in-memory state."""

    async def record_event(self, gateway: str, event_id: str, kind: str, now: datetime) -> bool:
        if (gateway, event_id) in self.s.events:
            return False
        self.s.events.add((gateway, event_id))
        return True

    async def add_payment(self, payment: Payment) -> bool:
        if await self.get_payment(payment.gateway, payment.payment_ref) is not None:
            return False
        self.s.payments[payment.id] = payment
        return True

    async def get_payment(self, gateway: str, payment_ref: str) -> Payment | None:
        return next(
            (
                p
                for p in self.s.payments.values()
                if p.gateway == gateway and p.payment_ref == payment_ref
            ),
            None,
        )

    async def get_payment_by_id(self, payment_id: PaymentId) -> Payment | None:
        return self.s.payments.get(payment_id)

    async def payments_of_order(self, order_id: OrderId) -> list[Payment]:
        return [p for p in self.s.payments.values() if p.order_id == order_id]

    async def set_payment_status(
        self,
        payment_id: PaymentId,
        from_: Sequence[PaymentStatus],
        to: PaymentStatus,
        now: datetime,
    ) -> bool:
        p = self.s.payments[payment_id]
        if p.status not in from_:
            return False
        self.s.payments[payment_id] = replace(p, status=to, updated_at=now)
        return True

    async def note_payment_error(self, payment_id: PaymentId, error: str, now: datetime) -> None:
        p = self.s.payments[payment_id]
        self.s.payments[payment_id] = replace(
            p, attempts=p.attempts + 1, last_error=error, updated_at=now
        )

    async def pending_payments(self, limit: int) -> list[Payment]:
        pending = [p for p in self.s.payments.values() if p.status in PENDING_PAYMENT_STATUSES]
        return sorted(pending, key=lambda p: p.updated_at)[:limit]

    async def owed_refunds(self, payee_id: PayeeId, limit: int) -> list[Payment]:
        owed = [
            p
            for p in self.s.payments.values()
            if p.status == PaymentStatus.REFUND_OWED
            and p.order_id is not None
            and self.s.orders[p.order_id].payee_id == payee_id
        ]
        return sorted(owed, key=lambda p: (p.created_at, p.id))[:limit]
