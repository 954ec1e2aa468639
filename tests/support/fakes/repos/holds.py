"""The hold part of the in-memory store (core.ports.holds.HoldsTx) over plain dicts."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta

from core.domain.holds import HoldTakes
from core.domain.model import Order, OrderId, OrderState, PayeeId, SubOrder, SubOrderState


@dataclass
class HoldsState:
    sources: dict[str, str] = field(default_factory=dict)  # sub-order id -> who took it
    takes: dict[tuple[str, str], HoldTakes] = field(default_factory=dict)  # (order, source)


class InMemoryHoldsTx:
    """Mixed into InMemoryTx (tests.support.fakes.store): `holds_state`, `all_orders`,
    `subs_by_id` come
    from there. The store runs one transaction at a time, as SQLite does."""

    holds_state: HoldsState
    all_orders: dict[str, Order]
    subs_by_id: dict[str, SubOrder]

    def note_source(self, sub_id: str, source: str | None) -> None:
        """reserve_one's part: who took this hold."""
        if source is None:
            self.holds_state.sources.pop(sub_id, None)
        else:
            self.holds_state.sources[sub_id] = source

    async def take_hold_slot(
        self, order_id: OrderId, source: str, now: datetime, window_s: int
    ) -> HoldTakes:
        key = (order_id, source)
        old = self.holds_state.takes.get(key)
        if old is None or old.window_start <= now - timedelta(seconds=window_s):
            new = HoldTakes(now, 1)
        else:
            new = HoldTakes(old.window_start, old.count + 1)
        self.holds_state.takes[key] = new
        return new

    async def source_holds(self, order_id: OrderId, source: str) -> list[datetime]:
        return sorted(
            s.hold_until
            for s in self.subs_by_id.values()
            if s.order_id == order_id
            and s.state == SubOrderState.RESERVED
            and s.hold_until is not None
            and self.holds_state.sources.get(s.id) == source
        )

    async def forget_hold_takes(self, before: datetime) -> int:
        stale = [k for k, t in self.holds_state.takes.items() if t.window_start < before]
        for key in stale:
            del self.holds_state.takes[key]
        return len(stale)

    async def sub_order_by_hold_secret(
        self, order_id: OrderId, secret_hash: str
    ) -> SubOrder | None:
        return next(
            (
                s
                for s in self.subs_by_id.values()
                if s.order_id == order_id and s.hold_secret_hash == secret_hash
            ),
            None,
        )

    async def open_held_orders(self, payee_id: PayeeId, limit: int) -> list[Order]:
        held = {s.order_id for s in self.subs_by_id.values() if s.state == SubOrderState.RESERVED}
        found = [
            o
            for o in self.all_orders.values()
            if o.payee_id == payee_id and o.state == OrderState.OPEN and o.id in held
        ]
        return sorted(found, key=lambda o: (o.created_at, o.id), reverse=True)[:limit]
