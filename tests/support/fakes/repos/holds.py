"""In-memory holds: the fake of storage.repos.holds, method for method, over plain dicts."""

from __future__ import annotations

from datetime import datetime, timedelta

from core.domain.holds import HoldTakes
from core.domain.model import (
    Order,
    OrderId,
    OrderState,
    PayeeId,
    SubOrder,
    SubOrderState,
)
from tests.support.fakes.state import MemoryRepo


class InMemoryHolds(MemoryRepo):
    """Holds inside one transaction, over the in-memory state."""

    async def take_hold_slot(
        self, order_id: OrderId, source: str, now: datetime, window_s: int
    ) -> HoldTakes:
        key = (order_id, source)
        old = self.s.holds.takes.get(key)
        if old is None or old.window_start <= now - timedelta(seconds=window_s):
            new = HoldTakes(now, 1)
        else:
            new = HoldTakes(old.window_start, old.count + 1)
        self.s.holds.takes[key] = new
        return new

    async def source_holds(self, order_id: OrderId, source: str) -> list[datetime]:
        return sorted(
            s.hold_until
            for s in self.s.subs.values()
            if s.order_id == order_id
            and s.state in (SubOrderState.RESERVED, SubOrderState.CLAIMED)
            and s.hold_until is not None
            and self.s.holds.sources.get(s.id) == source
        )

    async def forget_hold_takes(self, before: datetime) -> int:
        stale = [k for k, t in self.s.holds.takes.items() if t.window_start < before]
        for key in stale:
            del self.s.holds.takes[key]
        return len(stale)

    async def sub_order_by_hold_secret(
        self, order_id: OrderId, secret_hash: str
    ) -> SubOrder | None:
        return next(
            (
                s
                for s in self.s.subs.values()
                if s.order_id == order_id and s.hold_secret_hash == secret_hash
            ),
            None,
        )

    async def open_held_orders(self, payee_id: PayeeId, limit: int) -> list[Order]:
        held = {s.order_id for s in self.s.subs.values() if s.state == SubOrderState.RESERVED}
        found = [
            o
            for o in self.s.orders.values()
            if o.payee_id == payee_id and o.state == OrderState.OPEN and o.id in held
        ]
        return sorted(found, key=lambda o: (o.created_at, o.id), reverse=True)[:limit]
