"""In-memory orders: the fake of storage.repos.orders, method for method, over plain dicts."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace
from datetime import datetime

from core.domain.model import (
    Order,
    OrderId,
    OrderState,
    PayeeId,
    SubOrder,
)
from tests.support.fakes.state import MemoryRepo


class InMemoryOrders(MemoryRepo):
    """Orders inside one transaction, over the in-memory state."""

    async def add_order(self, order: Order, subs: Sequence[SubOrder]) -> None:
        self.s.orders[order.id] = order
        for sub in subs:
            self.s.subs[sub.id] = sub

    async def get_order(self, order_id: OrderId) -> Order | None:
        return self.s.orders.get(order_id)

    async def get_order_by_token(self, token: str) -> Order | None:
        return next((o for o in self.s.orders.values() if o.token == token), None)

    async def get_order_by_key(self, payee_id: PayeeId, idempotency_key: str) -> Order | None:
        return next(
            (
                o
                for o in self.s.orders.values()
                if o.payee_id == payee_id and o.idempotency_key == idempotency_key
            ),
            None,
        )

    async def list_orders(self, payee_id: PayeeId, limit: int, offset: int) -> list[Order]:
        mine = [o for o in self.s.orders.values() if o.payee_id == payee_id]
        mine.sort(key=lambda o: (o.created_at, o.id), reverse=True)
        return mine[offset : offset + limit]

    async def count_orders(self, payee_id: PayeeId) -> int:
        return sum(1 for o in self.s.orders.values() if o.payee_id == payee_id)

    async def count_paid(self, order_id: OrderId, amount_minor: int, now: datetime) -> int | None:
        o = self.s.orders[order_id]
        if o.state != OrderState.OPEN or o.expires_at <= now or o.paid_count >= o.n:
            return None
        o = replace(o, paid_count=o.paid_count + 1, paid_minor=o.paid_minor + amount_minor)
        self.s.orders[order_id] = o
        return o.paid_count

    async def uncount_paid(self, order_id: OrderId, amount_minor: int) -> None:
        o = self.s.orders[order_id]
        if o.paid_count > 0:
            o = replace(o, paid_count=o.paid_count - 1, paid_minor=o.paid_minor - amount_minor)
            self.s.orders[order_id] = o

    async def add_refunded_amount(self, order_id: OrderId, amount_minor: int) -> None:
        o = self.s.orders[order_id]
        self.s.orders[order_id] = replace(o, refunded_minor=o.refunded_minor + amount_minor)

    async def close_order(
        self, order_id: OrderId, from_: Sequence[OrderState], to: OrderState, now: datetime
    ) -> bool:
        o = self.s.orders.get(order_id)
        if o is None or o.state not in from_:
            return False
        self.s.orders[order_id] = replace(o, state=to, closed_at=now)
        return True

    async def due_orders(self, now: datetime, limit: int) -> list[Order]:
        due = [o for o in self.s.orders.values() if o.state == "open" and o.expires_at <= now]
        return due[:limit]
