"""SQL for gateway events (deduplication) and the payments gateways reported."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql, sqlite

from core.domain.model import (
    PENDING_PAYMENT_STATUSES,
    OrderId,
    PayeeId,
    Payment,
    PaymentId,
    PaymentStatus,
)
from storage.rows import TxBase, payment_from, payment_values
from storage.tables import gateway_events, orders, payments


def _insert_if_absent(table: sa.Table, *keys: sa.Column[Any]) -> dict[str, Any]:
    """INSERT ... ON CONFLICT (keys) DO NOTHING RETURNING the first key, per dialect.

    A duplicate does not raise, so the transaction goes on (PostgreSQL would otherwise
    abort it). Built once: the values come as parameters at execution.
    """
    return {
        name: dialect.insert(table)
        .on_conflict_do_nothing(index_elements=list(keys))
        .returning(keys[0])
        for name, dialect in (("postgresql", postgresql), ("sqlite", sqlite))
    }


# The statements of every settlement, built once (docs/PERFORMANCE.md).
_ADD_EVENT = _insert_if_absent(gateway_events, gateway_events.c.gateway, gateway_events.c.event_id)
_ADD_PAYMENT = _insert_if_absent(payments, payments.c.gateway, payments.c.payment_ref)
_PAYMENT_BY_REF = sa.select(payments).where(
    payments.c.gateway == sa.bindparam("p_gateway"),
    payments.c.payment_ref == sa.bindparam("p_payment_ref"),
)


class PaymentsSql(TxBase):
    """Gateway events and payments inside one transaction."""

    async def _added(self, stmts: dict[str, Any], values: dict[str, Any]) -> bool:
        """Whether the row went in (False: one with the same keys was already there)."""
        return (await self._conn.execute(stmts[self._dialect], values)).first() is not None

    async def record_event(self, gateway: str, event_id: str, kind: str, now: datetime) -> bool:
        values = {"gateway": gateway, "event_id": event_id, "kind": kind, "received_at": now}
        return await self._added(_ADD_EVENT, values)

    async def add_payment(self, payment: Payment) -> bool:
        return await self._added(_ADD_PAYMENT, payment_values(payment))

    async def _payments(self, stmt: sa.Select[Any]) -> list[Payment]:
        return [payment_from(r) for r in (await self._conn.execute(stmt)).mappings()]

    async def get_payment(self, gateway: str, payment_ref: str) -> Payment | None:
        params = {"p_gateway": gateway, "p_payment_ref": payment_ref}
        rows = (await self._conn.execute(_PAYMENT_BY_REF, params)).mappings()
        found = [payment_from(r) for r in rows]
        return found[0] if found else None

    async def get_payment_by_id(self, payment_id: PaymentId) -> Payment | None:
        found = await self._payments(sa.select(payments).where(payments.c.id == payment_id))
        return found[0] if found else None

    async def payments_of_order(self, order_id: OrderId) -> list[Payment]:
        stmt = (
            sa.select(payments)
            .where(payments.c.order_id == order_id)
            .order_by(payments.c.updated_at, payments.c.id)
        )
        return await self._payments(stmt)

    async def set_payment_status(
        self,
        payment_id: PaymentId,
        from_: Sequence[PaymentStatus],
        to: PaymentStatus,
        now: datetime,
    ) -> bool:
        stmt = (
            sa.update(payments)
            .where(payments.c.id == payment_id, payments.c.status.in_([s.value for s in from_]))
            .values(status=to.value, updated_at=now)
        )
        return (await self._conn.execute(stmt)).rowcount == 1

    async def note_payment_error(self, payment_id: PaymentId, error: str, now: datetime) -> None:
        await self._conn.execute(
            sa.update(payments)
            .where(payments.c.id == payment_id)
            .values(attempts=payments.c.attempts + 1, last_error=error, updated_at=now)
        )

    async def pending_payments(self, limit: int) -> list[Payment]:
        """Payments waiting for a capture, refund or void, least recently tried first.

        A failed try updates `updated_at`, so payments that keep failing go to the back
        and cannot starve newer ones.
        """
        stmt = (
            sa.select(payments)
            .where(payments.c.status.in_([s.value for s in PENDING_PAYMENT_STATUSES]))
            .order_by(payments.c.updated_at, payments.c.id)
            .limit(limit)
        )
        return await self._payments(stmt)

    async def owed_refunds(self, payee_id: PayeeId, limit: int) -> list[Payment]:
        stmt = (
            sa.select(payments)
            .join(orders, orders.c.id == payments.c.order_id)
            .where(
                orders.c.payee_id == payee_id,
                payments.c.status == PaymentStatus.REFUND_OWED.value,
            )
            .order_by(payments.c.created_at, payments.c.id)
            .limit(limit)
        )
        return await self._payments(stmt)
