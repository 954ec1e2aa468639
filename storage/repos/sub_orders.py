"""SQL for sub-orders: reservations, holds, checkouts and their state changes."""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from datetime import datetime
from typing import Any

import sqlalchemy as sa

from core.domain.errors import invariant
from core.domain.model import OrderId, OrderState, SubOrder, SubOrderId, SubOrderState
from storage.rows import TxBase, indexed, sealed, sub_order_from
from storage.tables import orders, sub_orders

_AVAILABLE = SubOrderState.AVAILABLE.value
_RESERVED = SubOrderState.RESERVED.value
_PAID = SubOrderState.PAID.value
_CLAIMED = SubOrderState.CLAIMED.value

# A sub-order back to available keeps nothing of its payer.
_NO_PAYER: dict[str, Any] = {
    "payer_ref": None,
    "payer_sealed": None,
    "payer_name_sealed": None,
    "hold_until": None,
    "source": None,
    "hold_secret_hash": None,
}


# The statements of every settlement, built once (docs/PERFORMANCE.md).
_SUB_BY_CHECKOUT = sa.select(sub_orders).where(
    sub_orders.c.gateway == sa.bindparam("p_gateway"),
    sub_orders.c.checkout_ref == sa.bindparam("p_checkout_ref"),
)
_MARK_PAID = (
    sa.update(sub_orders)
    .where(
        sub_orders.c.id == sa.bindparam("p_sub_id"),
        sub_orders.c.state.in_([_RESERVED, _CLAIMED]),
        sub_orders.c.checkout_ref == sa.bindparam("p_checkout_ref"),
    )
    .values(state=_PAID, paid_at=sa.bindparam("p_now", type_=sub_orders.c.paid_at.type))
)


class SubOrdersSql(TxBase):
    """Sub-orders inside one transaction; every state change is one conditional UPDATE."""

    async def _subs(self, stmt: sa.Select[Any] | sa.Update) -> list[SubOrder]:
        rows = (await self._conn.execute(stmt)).mappings()
        return [sub_order_from(r, self._sealer) for r in rows]

    async def _changed(self, stmt: sa.Update) -> bool:
        return (await self._conn.execute(stmt)).rowcount == 1

    async def get_sub_orders(self, order_id: OrderId) -> list[SubOrder]:
        stmt = sa.select(sub_orders).where(sub_orders.c.order_id == order_id)
        return await self._subs(stmt.order_by(sub_orders.c.idx))

    async def get_sub_order(self, sub_order_id: SubOrderId) -> SubOrder | None:
        found = await self._subs(sa.select(sub_orders).where(sub_orders.c.id == sub_order_id))
        return found[0] if found else None

    async def find_payer_sub_order(self, order_id: OrderId, payer_ref: str) -> SubOrder | None:
        stmt = sa.select(sub_orders).where(
            sub_orders.c.order_id == order_id,
            sub_orders.c.payer_ref == self._sealer.index(payer_ref),
            sub_orders.c.state.in_([_RESERVED, _CLAIMED, _PAID]),
        )
        found = await self._subs(stmt)
        return found[0] if found else None

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
        """Reserve the lowest free sub-order of an open order in one UPDATE.

        On PostgreSQL the pick skips rows other reservers have locked, so concurrent
        reservers each get a different row; SQLite serialises writers (BEGIN IMMEDIATE)
        and ignores FOR UPDATE. The same payer twice at once trips the partial unique
        index (IntegrityError, surfaced as Conflict by the transaction). Payer and aliases
        are compared by their blind indexes; the source is stored as its blind index.
        """
        allowed = [self._sealer.index(a) for a in aliases]
        pick = sub_orders.alias("pick")
        order_open = sa.exists().where(
            orders.c.id == order_id, orders.c.state == OrderState.OPEN.value
        )
        chosen = (
            sa.select(pick.c.id)
            .where(
                pick.c.order_id == order_id,
                pick.c.state == _AVAILABLE,
                order_open,
                sa.or_(pick.c.assignee.is_(None), pick.c.assignee.in_(allowed)),
            )
            .order_by(pick.c.idx)
            .limit(1)
            .with_for_update(skip_locked=True, of=pick)
            .scalar_subquery()
        )
        stmt = (
            sa.update(sub_orders)
            .where(sub_orders.c.id == chosen, sub_orders.c.state == _AVAILABLE)
            .values(
                state=_RESERVED,
                payer_ref=self._sealer.index(payer_ref),
                payer_sealed=self._sealer.seal(payer_ref),
                payer_name_sealed=sealed(self._sealer, payer_name),
                hold_until=hold_until,
                hold_seq=sub_orders.c.hold_seq + 1,
                source=indexed(self._sealer, source),
                hold_secret_hash=secret_hash,
                gateway=None,
                checkout_ref=None,
                checkout_url=None,
            )
            .returning(*sub_orders.c)
        )
        found = await self._subs(stmt)
        return found[0] if found else None

    async def set_checkout(
        self, sub_order_id: SubOrderId, hold_seq: int, gateway: str, ref: str, url: str
    ) -> bool:
        return await self._changed(
            _this_hold(sub_order_id, hold_seq).values(
                gateway=gateway, checkout_ref=ref, checkout_url=url
            )
        )

    async def release_hold(self, sub_order_id: SubOrderId, hold_seq: int) -> bool:
        """reserved -> available for this very reservation (same hold_seq).

        The checkout fields stay, so a late payment for that checkout is still traced
        to its order (and refunded); the next reserve_one clears them.
        """
        return await self._changed(
            _this_hold(sub_order_id, hold_seq).values(state=_AVAILABLE, **_NO_PAYER)
        )

    async def retake_part(
        self,
        sub_order_id: SubOrderId,
        payer_ref: str,
        payer_name: str | None,
        method: str,
        reference: str,
        now: datetime,
    ) -> SubOrder | None:
        stmt = (
            sa.update(sub_orders)
            .where(sub_orders.c.id == sub_order_id, sub_orders.c.state == _AVAILABLE)
            .values(
                state=_RESERVED,
                payer_ref=self._sealer.index(payer_ref),
                payer_sealed=self._sealer.seal(payer_ref),
                payer_name_sealed=sealed(self._sealer, payer_name),
                hold_until=now,
                hold_seq=sub_orders.c.hold_seq + 1,
                gateway=method,
                checkout_ref=reference,
                checkout_url="",
            )
            .returning(*sub_orders.c)
        )
        found = await self._subs(stmt)
        return found[0] if found else None

    async def claim_part(self, sub_order_id: SubOrderId, hold_seq: int, until: datetime) -> bool:
        return await self._changed(
            _this_hold(sub_order_id, hold_seq).values(state=_CLAIMED, hold_until=until)
        )

    async def release_claim(self, sub_order_id: SubOrderId, reference: str) -> bool:
        return await self._changed(
            sa.update(sub_orders)
            .where(
                sub_orders.c.id == sub_order_id,
                sub_orders.c.state == _CLAIMED,
                sub_orders.c.checkout_ref == reference,
            )
            .values(state=_AVAILABLE, **_NO_PAYER)
        )

    async def mark_sub_paid(
        self, sub_order_id: SubOrderId, checkout_ref: str, now: datetime
    ) -> bool:
        params = {"p_sub_id": sub_order_id, "p_checkout_ref": checkout_ref, "p_now": now}
        return (await self._conn.execute(_MARK_PAID, params)).rowcount == 1

    async def reopen_sub_order(self, sub_order_id: SubOrderId) -> bool:
        return await self._changed(
            sa.update(sub_orders)
            .where(sub_orders.c.id == sub_order_id, sub_orders.c.state == _PAID)
            .values(state=_AVAILABLE, paid_at=None, **_NO_PAYER)
        )

    async def set_sub_state(
        self, sub_order_id: SubOrderId, from_: SubOrderState, to: SubOrderState
    ) -> bool:
        return await self._changed(
            sa.update(sub_orders)
            .where(sub_orders.c.id == sub_order_id, sub_orders.c.state == from_.value)
            .values(state=to.value)
        )

    async def close_open_sub_orders(self, order_id: OrderId) -> list[SubOrder]:
        """available/reserved/claimed -> closed in one UPDATE; the rows that were held.

        Payer and hold are kept on close, and an available row never has a payer (a CHECK
        constraint), so the returned rows with a payer are exactly the held ones; they come
        back reserved (a claimed one's `transfer_ref` still names its transfer).
        """
        stmt = (
            sa.update(sub_orders)
            .where(
                sub_orders.c.order_id == order_id,
                sub_orders.c.state.in_([_AVAILABLE, _RESERVED, _CLAIMED]),
            )
            .values(state=SubOrderState.CLOSED.value)
            .returning(*sub_orders.c)
        )
        closed = await self._subs(stmt)
        held = [dataclasses.replace(s, state=SubOrderState.RESERVED) for s in closed if s.payer_ref]
        return sorted(held, key=lambda s: s.idx)

    async def sub_order_for_checkout(self, gateway: str, checkout_ref: str) -> SubOrder | None:
        params = {"p_gateway": gateway, "p_checkout_ref": checkout_ref}
        rows = (await self._conn.execute(_SUB_BY_CHECKOUT, params)).mappings()
        found = [sub_order_from(r, self._sealer) for r in rows]
        invariant(len(found) <= 1, f"checkout {gateway}/{checkout_ref} on two sub-orders")
        return found[0] if found else None

    async def lapsed_holds(self, now: datetime, limit: int) -> list[SubOrder]:
        """Reservations whose hold ran out, the oldest first."""
        stmt = (
            sa.select(sub_orders)
            .where(sub_orders.c.state == _RESERVED, sub_orders.c.hold_until <= now)
            .order_by(sub_orders.c.hold_until, sub_orders.c.id)
            .limit(limit)
        )
        return await self._subs(stmt)

    async def in_flight_checkouts(self, limit: int) -> list[SubOrder]:
        stmt = (
            sa.select(sub_orders)
            .where(sub_orders.c.state == _RESERVED, sub_orders.c.checkout_ref.is_not(None))
            .order_by(sub_orders.c.hold_until, sub_orders.c.id)
            .limit(limit)
        )
        return await self._subs(stmt)


def _this_hold(sub_order_id: SubOrderId, hold_seq: int) -> sa.Update:
    """An update of this very reservation (same hold_seq) while it is still reserved."""
    return sa.update(sub_orders).where(
        sub_orders.c.id == sub_order_id,
        sub_orders.c.hold_seq == hold_seq,
        sub_orders.c.state == _RESERVED,
    )
