"""SQL for master orders, including the exactly-N counter."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

import sqlalchemy as sa

from core.domain.model import Order, OrderId, OrderState, PayeeId, SubOrder
from storage.rows import (
    TxBase,
    order_from,
    order_values,
    sub_order_values,
)
from storage.tables import orders, sub_orders

# The statements of every settlement, built once (docs/PERFORMANCE.md).
_ORDER_BY_ID = sa.select(orders).where(orders.c.id == sa.bindparam("p_order_id"))
# The exactly-N cap: one conditional UPDATE, so the database, not Python, keeps paid <= n.
_COUNT_PAID = (
    sa.update(orders)
    .where(
        orders.c.id == sa.bindparam("p_order_id"),
        orders.c.state == OrderState.OPEN.value,
        orders.c.expires_at > sa.bindparam("p_now", type_=orders.c.expires_at.type),
        orders.c.paid_count < orders.c.n,
    )
    .values(
        paid_count=orders.c.paid_count + 1,
        paid_minor=orders.c.paid_minor + sa.bindparam("p_amount_minor", type_=sa.BigInteger()),
    )
    .returning(orders.c.paid_count)
)


class OrdersSql(TxBase):
    """Orders inside one transaction."""

    async def add_order(self, order: Order, subs: Sequence[SubOrder]) -> None:
        await self._conn.execute(sa.insert(orders).values(order_values(order, self._sealer)))
        if subs:
            rows = [sub_order_values(s, self._sealer) for s in subs]
            await self._conn.execute(sa.insert(sub_orders), rows)

    async def _one_order(self, where: sa.ColumnElement[bool]) -> Order | None:
        row = (await self._conn.execute(sa.select(orders).where(where))).mappings().first()
        return order_from(row, self._sealer) if row is not None else None

    async def get_order(self, order_id: OrderId) -> Order | None:
        rows = (await self._conn.execute(_ORDER_BY_ID, {"p_order_id": order_id})).mappings()
        row = rows.first()
        return order_from(row, self._sealer) if row is not None else None

    async def get_order_by_token(self, token: str) -> Order | None:
        return await self._one_order(orders.c.token == token)

    async def get_order_by_key(self, payee_id: PayeeId, idempotency_key: str) -> Order | None:
        return await self._one_order(
            (orders.c.payee_id == payee_id) & (orders.c.idempotency_key == idempotency_key)
        )

    async def list_orders(self, payee_id: PayeeId, limit: int, offset: int) -> list[Order]:
        """The payee's orders, newest first."""
        stmt = (
            sa.select(orders)
            .where(orders.c.payee_id == payee_id)
            .order_by(orders.c.created_at.desc(), orders.c.id.desc())
            .limit(limit)
            .offset(offset)
        )
        return [order_from(r, self._sealer) for r in (await self._conn.execute(stmt)).mappings()]

    async def count_orders(self, payee_id: PayeeId) -> int:
        stmt = sa.select(sa.func.count()).select_from(orders).where(orders.c.payee_id == payee_id)
        return int(await self._conn.scalar(stmt) or 0)

    async def count_paid(self, order_id: OrderId, amount_minor: int, now: datetime) -> int | None:
        """One conditional UPDATE: the database, not Python, enforces paid_count <= n."""
        params = {"p_order_id": order_id, "p_now": now, "p_amount_minor": amount_minor}
        paid = (await self._conn.execute(_COUNT_PAID, params)).scalar_one_or_none()
        return int(paid) if paid is not None else None

    async def uncount_paid(self, order_id: OrderId, amount_minor: int) -> None:
        await self._conn.execute(
            sa.update(orders)
            .where(orders.c.id == order_id, orders.c.paid_count > 0)
            .values(
                paid_count=orders.c.paid_count - 1,
                paid_minor=orders.c.paid_minor - amount_minor,
            )
        )

    async def add_refunded_amount(self, order_id: OrderId, amount_minor: int) -> None:
        await self._conn.execute(
            sa.update(orders)
            .where(orders.c.id == order_id)
            .values(refunded_minor=orders.c.refunded_minor + amount_minor)
        )

    async def close_order(
        self, order_id: OrderId, from_: Sequence[OrderState], to: OrderState, now: datetime
    ) -> bool:
        stmt = (
            sa.update(orders)
            .where(orders.c.id == order_id, orders.c.state.in_([s.value for s in from_]))
            .values(state=to.value, closed_at=now)
        )
        return (await self._conn.execute(stmt)).rowcount == 1

    async def due_orders(self, now: datetime, limit: int) -> list[Order]:
        """Open orders whose valid time has passed, the longest overdue first."""
        stmt = (
            sa.select(orders)
            .where(orders.c.state == OrderState.OPEN.value, orders.c.expires_at <= now)
            .order_by(orders.c.expires_at, orders.c.id)
            .limit(limit)
        )
        return [order_from(r, self._sealer) for r in (await self._conn.execute(stmt)).mappings()]
