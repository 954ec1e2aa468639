"""The repository of holds (core.domain.holds): each source's new holds per order, hold secrets,
held orders."""

from __future__ import annotations

from datetime import datetime
from typing import Protocol

from core.domain.holds import HoldTakes
from core.domain.model import (
    Order,
    OrderId,
    PayeeId,
    SubOrder,
)


class HoldsRepo(Protocol):
    """Holds inside one transaction: storage.repos.holds and its fake
    (tests.support.fakes.repos.holds) implement it method for method, in this order."""

    async def take_hold_slot(
        self, order_id: OrderId, source: str, now: datetime, window_s: int
    ) -> HoldTakes:
        """Count one new hold of `source` on the order, in one statement: a window that began
        `window_s` or more ago starts over at `now`. The source's row stays locked until the
        transaction ends, so parallel takes of one source on one order run one after another.
        """
        ...

    async def source_holds(self, order_id: OrderId, source: str) -> list[datetime]:
        """When each part `source` holds of the order (reserved or claimed) lapses, soonest
        first."""
        ...

    async def forget_hold_takes(self, before: datetime) -> int:
        """Drop the windows that began before `before`: they no longer count anything."""
        ...

    async def sub_order_by_hold_secret(
        self, order_id: OrderId, secret_hash: str
    ) -> SubOrder | None:
        """The order's part whose hold secret hashes to `secret_hash`: reserved, or paid,
        closed or refunded since (a part whose hold was released forgets its secret)."""
        ...

    async def open_held_orders(self, payee_id: PayeeId, limit: int) -> list[Order]:
        """The payee's open orders of which at least one part is held, newest first."""
        ...
