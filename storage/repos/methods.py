"""SQL for payees' own receiving methods and the transfer references given to payers; every
detail sealed, payers found by blind index (core.domain.methods)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import sqlalchemy as sa

from core.domain.methods import MethodId, PayeeMethod, Transfer, method_from_details
from core.domain.model import MethodKind, OrderId, PayeeId, PaymentId, SubOrderId, SubOrderState
from storage.rows import TxBase, aware, opened, sealed
from storage.tables import payee_methods, sub_orders, transfer_refs


class MethodsSql(TxBase):
    """Methods and transfers inside one transaction."""

    def _method(self, r: sa.RowMapping) -> PayeeMethod:
        return method_from_details(
            MethodId(r["id"]),
            PayeeId(r["payee_id"]),
            MethodKind(r["kind"]),
            self._sealer.open(r["details_sealed"]),
            aware(r["created_at"]),
        )

    async def add_method(self, method: PayeeMethod) -> bool:
        if await self.method_of_kind(method.payee_id, method.kind) is not None:
            return False
        values = {
            "id": method.id,
            "payee_id": method.payee_id,
            "kind": method.kind.value,
            "details_sealed": self._sealer.seal(method.sealed_json()),
            "created_at": method.created_at,
        }
        await self._conn.execute(sa.insert(payee_methods).values(values))
        return True

    async def methods_of(self, payee_id: PayeeId) -> list[PayeeMethod]:
        stmt = (
            sa.select(payee_methods)
            .where(payee_methods.c.payee_id == payee_id)
            .order_by(payee_methods.c.created_at, payee_methods.c.id)
        )
        return [self._method(r) for r in (await self._conn.execute(stmt)).mappings()]

    async def method_of_kind(self, payee_id: PayeeId, kind: MethodKind) -> PayeeMethod | None:
        stmt = sa.select(payee_methods).where(
            payee_methods.c.payee_id == payee_id, payee_methods.c.kind == kind.value
        )
        row = (await self._conn.execute(stmt)).mappings().first()
        return self._method(row) if row is not None else None

    async def remove_method(self, payee_id: PayeeId, method_id: MethodId) -> bool:
        stmt = sa.delete(payee_methods).where(
            payee_methods.c.payee_id == payee_id, payee_methods.c.id == method_id
        )
        return (await self._conn.execute(stmt)).rowcount == 1

    def _transfer(self, r: sa.RowMapping) -> Transfer:
        payer = self._sealer.open(r["payer_sealed"])
        return Transfer(
            reference=r["reference"],
            order_id=OrderId(r["order_id"]),
            sub_order_id=SubOrderId(r["sub_order_id"]),
            payee_id=PayeeId(r["payee_id"]),
            kind=MethodKind(r["kind"]),
            amount_minor=int(r["amount_minor"]),
            currency=r["currency"],
            payer_ref=payer,
            issued_at=aware(r["issued_at"]),
            payer_name=opened(self._sealer, r["payer_name_sealed"]),
            claimed_at=aware(r["claimed_at"]) if r["claimed_at"] is not None else None,
            utr=opened(self._sealer, r["utr_sealed"]),
            payment_id=PaymentId(r["payment_id"]) if r["payment_id"] is not None else None,
            denied_at=aware(r["denied_at"]) if r["denied_at"] is not None else None,
        )

    async def _transfers(self, stmt: sa.Select[Any]) -> list[Transfer]:
        return [self._transfer(r) for r in (await self._conn.execute(stmt)).mappings()]

    async def add_transfer(self, transfer: Transfer) -> None:
        t = transfer
        values = {
            "reference": t.reference,
            "order_id": t.order_id,
            "sub_order_id": t.sub_order_id,
            "payee_id": t.payee_id,
            "kind": t.kind.value,
            "amount_minor": t.amount_minor,
            "currency": t.currency,
            "payer_ref": self._sealer.index(t.payer_ref),
            "payer_sealed": self._sealer.seal(t.payer_ref),
            "payer_name_sealed": sealed(self._sealer, t.payer_name),
            "issued_at": t.issued_at,
            "claimed_at": t.claimed_at,
            "utr_sealed": sealed(self._sealer, t.utr),
            "payment_id": t.payment_id,
            "denied_at": t.denied_at,
        }
        await self._conn.execute(sa.insert(transfer_refs).values(values))

    async def get_transfer(self, reference: str) -> Transfer | None:
        found = await self._transfers(
            sa.select(transfer_refs).where(transfer_refs.c.reference == reference)
        )
        return found[0] if found else None

    async def claim_transfer(self, reference: str, now: datetime, utr: str | None) -> bool:
        stmt = (
            sa.update(transfer_refs)
            .where(transfer_refs.c.reference == reference, transfer_refs.c.claimed_at.is_(None))
            .values(claimed_at=now, utr_sealed=sealed(self._sealer, utr))
        )
        return (await self._conn.execute(stmt)).rowcount == 1

    async def settle_transfer(self, reference: str, payment_id: PaymentId) -> bool:
        stmt = (
            sa.update(transfer_refs)
            .where(transfer_refs.c.reference == reference, transfer_refs.c.payment_id.is_(None))
            .values(payment_id=payment_id)
        )
        return (await self._conn.execute(stmt)).rowcount == 1

    async def deny_transfer(self, reference: str, now: datetime) -> bool:
        stmt = (
            sa.update(transfer_refs)
            .where(
                transfer_refs.c.reference == reference,
                transfer_refs.c.payment_id.is_(None),
                transfer_refs.c.denied_at.is_(None),
            )
            .values(denied_at=now)
        )
        return (await self._conn.execute(stmt)).rowcount == 1

    async def waiting_claims(self, payee_id: PayeeId, limit: int) -> list[Transfer]:
        t, s = transfer_refs, sub_orders
        stmt = (
            sa.select(t)
            .join(s, s.c.id == t.c.sub_order_id)
            .where(
                t.c.payee_id == payee_id,
                t.c.claimed_at.is_not(None),
                t.c.payment_id.is_(None),
                t.c.denied_at.is_(None),
                s.c.checkout_ref == t.c.reference,
                s.c.state.in_([SubOrderState.CLAIMED.value, SubOrderState.CLOSED.value]),
            )
            .order_by(t.c.claimed_at, t.c.reference)
            .limit(limit)
        )
        return await self._transfers(stmt)

    async def transfers_of_order(self, order_id: OrderId) -> list[Transfer]:
        stmt = (
            sa.select(transfer_refs)
            .where(transfer_refs.c.order_id == order_id)
            .order_by(transfer_refs.c.issued_at, transfer_refs.c.reference)
        )
        return await self._transfers(stmt)
