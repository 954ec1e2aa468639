"""In-memory sub-orders: the fake of storage.repos.sub_orders, method for method, in dicts."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace
from datetime import datetime

from core.domain.errors import Conflict
from core.domain.model import (
    OrderId,
    OrderState,
    SubOrder,
    SubOrderId,
    SubOrderState,
)
from tests.support.fakes.state import MemoryRepo


def _idx(s: SubOrder) -> int:
    return s.idx


class InMemorySubOrders(MemoryRepo):
    """Sub-orders inside one transaction, over the in-memory state."""

    async def get_sub_orders(self, order_id: OrderId) -> list[SubOrder]:
        return sorted((s for s in self.s.subs.values() if s.order_id == order_id), key=_idx)

    async def get_sub_order(self, sub_order_id: SubOrderId) -> SubOrder | None:
        return self.s.subs.get(sub_order_id)

    async def find_payer_sub_order(self, order_id: OrderId, payer_ref: str) -> SubOrder | None:
        held = (SubOrderState.RESERVED, SubOrderState.CLAIMED, SubOrderState.PAID)
        return next(
            (
                s
                for s in await self.get_sub_orders(order_id)
                if s.payer_ref == payer_ref and s.state in held
            ),
            None,
        )

    def _note_source(self, sub_id: str, source: str | None) -> None:
        """reserve_one's part: who took this hold."""
        if source is None:
            self.s.holds.sources.pop(sub_id, None)
        else:
            self.s.holds.sources[sub_id] = source

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
        if self.s.orders[order_id].state != OrderState.OPEN:
            return None
        if await self.find_payer_sub_order(order_id, payer_ref) is not None:
            raise Conflict("payer already holds a sub-order")
        for s in await self.get_sub_orders(order_id):
            if s.state == SubOrderState.AVAILABLE and (s.assignee is None or s.assignee in aliases):
                new = replace(
                    s,
                    state=SubOrderState.RESERVED,
                    payer_ref=payer_ref,
                    payer_name=payer_name,
                    hold_until=hold_until,
                    hold_seq=s.hold_seq + 1,
                    gateway=None,
                    checkout_ref=None,
                    checkout_url=None,
                    hold_secret_hash=secret_hash,
                )
                self.s.subs[s.id] = new
                self._note_source(s.id, source)
                return new
        return None

    async def set_checkout(
        self, sub_order_id: SubOrderId, hold_seq: int, gateway: str, ref: str, url: str
    ) -> bool:
        s = self.s.subs[sub_order_id]
        if s.state != SubOrderState.RESERVED or s.hold_seq != hold_seq:
            return False
        self.s.subs[sub_order_id] = replace(s, gateway=gateway, checkout_ref=ref, checkout_url=url)
        return True

    def _free(self, s: SubOrder) -> bool:
        """The part available again, with nothing of its payer (its checkout fields stay)."""
        self.s.subs[s.id] = replace(
            s,
            state=SubOrderState.AVAILABLE,
            payer_ref=None,
            payer_name=None,
            hold_until=None,
            hold_secret_hash=None,
        )
        self._note_source(s.id, None)
        return True

    async def release_hold(self, sub_order_id: SubOrderId, hold_seq: int) -> bool:
        s = self.s.subs[sub_order_id]
        if s.state != SubOrderState.RESERVED or s.hold_seq != hold_seq:
            return False
        return self._free(s)

    async def retake_part(
        self,
        sub_order_id: SubOrderId,
        payer_ref: str,
        payer_name: str | None,
        method: str,
        reference: str,
        now: datetime,
    ) -> SubOrder | None:
        s = self.s.subs[sub_order_id]
        if s.state != SubOrderState.AVAILABLE:
            return None
        new = replace(
            s,
            state=SubOrderState.RESERVED,
            payer_ref=payer_ref,
            payer_name=payer_name,
            hold_until=now,
            hold_seq=s.hold_seq + 1,
            gateway=method,
            checkout_ref=reference,
            checkout_url="",
        )
        self.s.subs[sub_order_id] = new
        return new

    async def claim_part(self, sub_order_id: SubOrderId, hold_seq: int, until: datetime) -> bool:
        s = self.s.subs[sub_order_id]
        if s.state != SubOrderState.RESERVED or s.hold_seq != hold_seq:
            return False
        self.s.subs[sub_order_id] = replace(s, state=SubOrderState.CLAIMED, hold_until=until)
        return True

    async def release_claim(self, sub_order_id: SubOrderId, reference: str) -> bool:
        s = self.s.subs[sub_order_id]
        if s.state != SubOrderState.CLAIMED or s.checkout_ref != reference:
            return False
        return self._free(s)

    async def mark_sub_paid(
        self, sub_order_id: SubOrderId, checkout_ref: str, now: datetime
    ) -> bool:
        s = self.s.subs[sub_order_id]
        paying = (SubOrderState.RESERVED, SubOrderState.CLAIMED)
        if s.state not in paying or s.checkout_ref != checkout_ref:
            return False
        self.s.subs[sub_order_id] = replace(s, state=SubOrderState.PAID, paid_at=now)
        return True

    async def reopen_sub_order(self, sub_order_id: SubOrderId) -> bool:
        s = self.s.subs[sub_order_id]
        if s.state != SubOrderState.PAID:
            return False
        self.s.subs[sub_order_id] = replace(
            s,
            state=SubOrderState.AVAILABLE,
            payer_ref=None,
            payer_name=None,
            hold_until=None,
            paid_at=None,
            hold_secret_hash=None,
        )
        self._note_source(s.id, None)
        return True

    async def set_sub_state(
        self, sub_order_id: SubOrderId, from_: SubOrderState, to: SubOrderState
    ) -> bool:
        s = self.s.subs[sub_order_id]
        if s.state != from_:
            return False
        self.s.subs[sub_order_id] = replace(s, state=to)
        return True

    async def close_open_sub_orders(self, order_id: OrderId) -> list[SubOrder]:
        held: list[SubOrder] = []
        for s in await self.get_sub_orders(order_id):
            if s.state in (SubOrderState.AVAILABLE, SubOrderState.RESERVED, SubOrderState.CLAIMED):
                if s.payer_ref is not None:
                    held.append(replace(s, state=SubOrderState.RESERVED))
                self.s.subs[s.id] = replace(s, state=SubOrderState.CLOSED)
        return held

    async def sub_order_for_checkout(self, gateway: str, checkout_ref: str) -> SubOrder | None:
        return next(
            (
                s
                for s in self.s.subs.values()
                if s.gateway == gateway and s.checkout_ref == checkout_ref
            ),
            None,
        )

    async def lapsed_holds(self, now: datetime, limit: int) -> list[SubOrder]:
        return [
            s
            for s in self.s.subs.values()
            if s.state == SubOrderState.RESERVED and s.hold_until and s.hold_until <= now
        ][:limit]

    async def in_flight_checkouts(self, limit: int) -> list[SubOrder]:
        return [
            s for s in self.s.subs.values() if s.state == SubOrderState.RESERVED and s.checkout_ref
        ][:limit]
