"""SQL for loose checkouts (reconciliation's to-do list) and voids reported early."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql, sqlite

from core.domain.model import CheckoutRef, SubOrderId
from storage.rows import TxBase
from storage.tables import early_voids, loose_checkouts

_L = loose_checkouts.c


class CheckoutsSql(TxBase):
    """Loose checkouts and early voids inside one transaction."""

    def _insert_new(self, table: sa.Table, values: dict[str, Any]) -> Any:
        """INSERT that does nothing when the row (by primary key) is there already."""
        dialect: Any = postgresql if self._dialect == "postgresql" else sqlite
        return dialect.insert(table).values(values).on_conflict_do_nothing()

    def _loose(self, checkout: CheckoutRef) -> sa.ColumnElement[bool]:
        return sa.and_(_L.gateway == checkout.gateway, _L.checkout_ref == checkout.ref)

    async def add_loose_checkout(self, checkout: CheckoutRef, now: datetime) -> None:
        values = {
            "gateway": checkout.gateway,
            "checkout_ref": checkout.ref,
            "sub_order_id": checkout.sub_order_id,
            "cancel_key": checkout.cancel_key,
            "since": now,
            "checked_at": now,
        }
        await self._conn.execute(self._insert_new(loose_checkouts, values))

    async def loose_checkouts(self, limit: int) -> list[CheckoutRef]:
        stmt = sa.select(loose_checkouts).order_by(_L.checked_at, _L.checkout_ref).limit(limit)
        rows = (await self._conn.execute(stmt)).mappings()
        return [
            CheckoutRef(
                r["gateway"], r["checkout_ref"], SubOrderId(r["sub_order_id"]), r["cancel_key"]
            )
            for r in rows
        ]

    async def touch_loose_checkout(self, checkout: CheckoutRef, now: datetime) -> None:
        stmt = sa.update(loose_checkouts).where(self._loose(checkout)).values(checked_at=now)
        await self._conn.execute(stmt)

    async def drop_loose_checkout(self, checkout: CheckoutRef) -> None:
        await self._conn.execute(sa.delete(loose_checkouts).where(self._loose(checkout)))

    async def note_early_void(self, gateway: str, payment_ref: str, now: datetime) -> None:
        values = {"gateway": gateway, "payment_ref": payment_ref, "received_at": now}
        await self._conn.execute(self._insert_new(early_voids, values))

    async def take_early_void(self, gateway: str, payment_ref: str) -> bool:
        e = early_voids.c
        stmt = sa.delete(early_voids).where(e.gateway == gateway, e.payment_ref == payment_ref)
        return (await self._conn.execute(stmt)).rowcount == 1
