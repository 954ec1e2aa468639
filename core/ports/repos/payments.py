"""The repository of gateway events (deduplication) and the payments gateways reported."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Protocol

from core.domain.model import (
    OrderId,
    PayeeId,
    Payment,
    PaymentId,
    PaymentStatus,
)


class PaymentsRepo(Protocol):
    """Payments inside one transaction: storage.repos.payments and its fake
    (tests.support.fakes.repos.payments) implement it method for method, in this order."""

    async def record_event(self, gateway: str, event_id: str, kind: str, now: datetime) -> bool:
        """False if this (gateway, event id) was recorded before."""
        ...

    async def add_payment(self, payment: Payment) -> bool:
        """False if this (gateway, payment_ref) is already known."""
        ...

    async def get_payment(self, gateway: str, payment_ref: str) -> Payment | None: ...

    async def get_payment_by_id(self, payment_id: PaymentId) -> Payment | None: ...

    async def payments_of_order(self, order_id: OrderId) -> list[Payment]: ...

    async def set_payment_status(
        self,
        payment_id: PaymentId,
        from_: Sequence[PaymentStatus],
        to: PaymentStatus,
        now: datetime,
    ) -> bool: ...

    async def note_payment_error(
        self, payment_id: PaymentId, error: str, now: datetime
    ) -> None: ...

    async def pending_payments(self, limit: int) -> list[Payment]: ...

    async def owed_refunds(self, payee_id: PayeeId, limit: int) -> list[Payment]:
        """The payee's payments waiting to be returned by hand (refund_owed), oldest first."""
        ...
