"""The repository of sub-orders: reservations, holds, checkouts and their state changes."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Protocol

from core.domain.model import (
    OrderId,
    SubOrder,
    SubOrderId,
    SubOrderState,
)


class SubOrdersRepo(Protocol):
    """SubOrders inside one transaction: storage.repos.sub_orders and its fake
    (tests.support.fakes.repos.sub_orders) implement it method for method, in this order."""

    async def get_sub_orders(self, order_id: OrderId) -> list[SubOrder]: ...

    async def get_sub_order(self, sub_order_id: SubOrderId) -> SubOrder | None: ...

    async def find_payer_sub_order(self, order_id: OrderId, payer_ref: str) -> SubOrder | None:
        """The payer's reserved or paid sub-order of this order, if any."""
        ...

    async def reserve_one(
        self,
        order_id: OrderId,
        payer_ref: str,
        hold_until: datetime,
        payer_name: str | None = None,
        aliases: Sequence[str] = (),
        *,
        source: str | None = None,
        secret_hash: str | None = None,
    ) -> SubOrder | None:
        """Atomically take one available sub-order for the payer (increments its hold_seq).

        Only parts with no assignee, or assigned to one of `aliases`, can be taken. `source`
        (stored as a blind index) is counted by tx.holds.source_holds while the part is
        reserved; `secret_hash` is the hold secret's (SubOrder.hold_secret_hash).
        """
        ...

    async def set_checkout(
        self, sub_order_id: SubOrderId, hold_seq: int, gateway: str, ref: str, url: str
    ) -> bool: ...

    async def release_hold(self, sub_order_id: SubOrderId, hold_seq: int) -> bool:
        """reserved -> available, if it is still the same reservation."""
        ...

    async def retake_part(
        self,
        sub_order_id: SubOrderId,
        payer_ref: str,
        payer_name: str | None,
        method: str,
        reference: str,
        now: datetime,
    ) -> SubOrder | None:
        """available -> reserved again for the payer whose transfer for it arrived after
        their hold lapsed (its reference as its checkout); None if it is not available."""
        ...

    async def claim_part(self, sub_order_id: SubOrderId, hold_seq: int, until: datetime) -> bool:
        """reserved -> claimed for this very reservation, held `until` (the order's end)."""
        ...

    async def release_claim(self, sub_order_id: SubOrderId, reference: str) -> bool:
        """claimed -> available, if it is claimed for this transfer reference."""
        ...

    async def mark_sub_paid(
        self, sub_order_id: SubOrderId, checkout_ref: str, now: datetime
    ) -> bool:
        """reserved or claimed -> paid, if it is held with this checkout (or transfer reference)."""
        ...

    async def reopen_sub_order(self, sub_order_id: SubOrderId) -> bool:
        """paid -> available with no payer: its authorisation was voided before completion."""
        ...

    async def set_sub_state(
        self, sub_order_id: SubOrderId, from_: SubOrderState, to: SubOrderState
    ) -> bool: ...

    async def close_open_sub_orders(self, order_id: OrderId) -> list[SubOrder]:
        """available/reserved/claimed -> closed; returns the sub-orders that were held."""
        ...

    async def sub_order_for_checkout(self, gateway: str, checkout_ref: str) -> SubOrder | None: ...

    async def lapsed_holds(self, now: datetime, limit: int) -> list[SubOrder]: ...

    async def in_flight_checkouts(self, limit: int) -> list[SubOrder]:
        """Reserved sub-orders that have a checkout, for reconciliation."""
        ...
