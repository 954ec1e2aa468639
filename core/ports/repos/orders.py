"""The repository of master orders, including the exactly-N counter."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Protocol

from core.domain.model import (
    Order,
    OrderId,
    OrderState,
    PayeeId,
    SubOrder,
)


class OrdersRepo(Protocol):
    """Orders inside one transaction: storage.repos.orders and its fake
    (tests.support.fakes.repos.orders) implement it method for method, in this order."""

    async def add_order(self, order: Order, subs: Sequence[SubOrder]) -> None: ...

    async def get_order(self, order_id: OrderId) -> Order | None: ...

    async def get_order_by_token(self, token: str) -> Order | None: ...

    async def get_order_by_key(self, payee_id: PayeeId, idempotency_key: str) -> Order | None: ...

    async def list_orders(self, payee_id: PayeeId, limit: int, offset: int) -> list[Order]: ...

    async def count_orders(self, payee_id: PayeeId) -> int: ...

    async def count_paid(self, order_id: OrderId, amount_minor: int, now: datetime) -> int | None:
        """Atomically add one payment to the order if it is open, unexpired and below N paid.

        One conditional UPDATE: returns the new paid count, or None when it cannot count.
        """
        ...

    async def uncount_paid(self, order_id: OrderId, amount_minor: int) -> None:
        """Undo count_paid inside the same transaction, or for an authorisation voided outside."""
        ...

    async def add_refunded_amount(self, order_id: OrderId, amount_minor: int) -> None: ...

    async def close_order(
        self, order_id: OrderId, from_: Sequence[OrderState], to: OrderState, now: datetime
    ) -> bool:
        """from_ -> `to` atomically; False if the order was no longer in one of `from_`."""
        ...

    async def due_orders(self, now: datetime, limit: int) -> list[Order]: ...
