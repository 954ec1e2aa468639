"""SQL for holds (core.ports.repos.holds): each source's new holds per order, hold secrets, held
orders.

Sources are stored as their blind index (storage.rows, storage.sealing) and never read back.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql, sqlite

from core.domain.holds import HoldTakes
from core.domain.model import Order, OrderId, OrderState, PayeeId, SubOrder, SubOrderState
from storage.rows import TxBase, aware, order_from, sub_order_from
from storage.tables import hold_takes, orders, sub_orders

_T = hold_takes.c
_RESERVED = SubOrderState.RESERVED.value


class HoldsSql(TxBase):
    """Holds inside one transaction."""

    async def take_hold_slot(
        self, order_id: OrderId, source: str, now: datetime, window_s: int
    ) -> HoldTakes:
        """One upsert: a new source's row, or its count plus one (a window that began
        `window_s` ago starts over). The upsert holds the row's lock until the transaction
        ends (PostgreSQL; SQLite runs one writer at a time), so parallel takes of one source
        queue here, and each one's later look at the source's holds sees the one before.
        """
        stale = _T.window_start <= now - timedelta(seconds=window_s)
        dialect: Any = postgresql if self._dialect == "postgresql" else sqlite
        insert = dialect.insert(hold_takes).values(
            order_id=order_id, source=self._sealer.index(source), window_start=now, takes=1
        )
        stmt = insert.on_conflict_do_update(
            index_elements=[_T.order_id, _T.source],
            set_={
                "window_start": sa.case(
                    (stale, insert.excluded.window_start), else_=_T.window_start
                ),
                "takes": sa.case((stale, 1), else_=_T.takes + 1),
            },
        ).returning(_T.window_start, _T.takes)
        row = (await self._conn.execute(stmt)).one()
        return HoldTakes(aware(row.window_start), row.takes)

    async def source_holds(self, order_id: OrderId, source: str) -> list[datetime]:
        stmt = (
            sa.select(sub_orders.c.hold_until)
            .where(
                sub_orders.c.order_id == order_id,
                sub_orders.c.source == self._sealer.index(source),
                sub_orders.c.state.in_([_RESERVED, SubOrderState.CLAIMED.value]),
            )
            .order_by(sub_orders.c.hold_until)
        )
        return [aware(until) for until in (await self._conn.execute(stmt)).scalars()]

    async def forget_hold_takes(self, before: datetime) -> int:
        done = await self._conn.execute(sa.delete(hold_takes).where(_T.window_start < before))
        return done.rowcount

    async def sub_order_by_hold_secret(
        self, order_id: OrderId, secret_hash: str
    ) -> SubOrder | None:
        stmt = sa.select(sub_orders).where(
            sub_orders.c.order_id == order_id, sub_orders.c.hold_secret_hash == secret_hash
        )
        row = (await self._conn.execute(stmt)).mappings().first()
        return sub_order_from(row, self._sealer) if row is not None else None

    async def open_held_orders(self, payee_id: PayeeId, limit: int) -> list[Order]:
        held = sa.exists().where(
            sub_orders.c.order_id == orders.c.id, sub_orders.c.state == _RESERVED
        )
        stmt = (
            sa.select(orders)
            .where(orders.c.payee_id == payee_id, orders.c.state == OrderState.OPEN.value, held)
            .order_by(orders.c.created_at.desc(), orders.c.id.desc())
            .limit(limit)
        )
        return [order_from(r, self._sealer) for r in (await self._conn.execute(stmt)).mappings()]
