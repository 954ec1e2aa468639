"""Mapping between table rows and the frozen dataclasses of core.model."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import RowMapping
from sqlalchemy.ext.asyncio import AsyncConnection

from core.model import (
    Mode,
    Order,
    OrderId,
    OrderState,
    Payee,
    PayeeId,
    Payment,
    PaymentId,
    PaymentStatus,
    SplitKind,
    SubOrder,
    SubOrderId,
    SubOrderState,
)
from core.money import currency


class TxBase:
    """What the SQL mixins of one transaction share: its connection."""

    def __init__(self, conn: AsyncConnection) -> None:
        self._conn = conn

    @property
    def _dialect(self) -> str:
        return self._conn.dialect.name


def _aware(value: Any) -> datetime:
    if not isinstance(value, datetime) or value.tzinfo is None:
        raise TypeError(f"expected an aware datetime from the database, got {value!r}")
    return value


def payee_from(row: RowMapping) -> Payee:
    return Payee(PayeeId(row["id"]), row["name"], _aware(row["created_at"]))


def order_from(row: RowMapping) -> Order:
    return Order(
        id=OrderId(row["id"]),
        token=row["token"],
        payee_id=PayeeId(row["payee_id"]),
        title=row["title"],
        currency=currency(row["currency"]),
        total_minor=row["total_minor"],
        n=row["n"],
        kind=SplitKind(row["kind"]),
        mode=Mode(row["mode"]),
        state=OrderState(row["state"]),
        password_hash=row["password_hash"],
        hold_s=row["hold_s"],
        created_at=_aware(row["created_at"]),
        expires_at=_aware(row["expires_at"]),
        closed_at=row["closed_at"],
        paid_count=row["paid_count"],
        paid_minor=row["paid_minor"],
        refunded_minor=row["refunded_minor"],
        idempotency_key=row["idempotency_key"],
    )


def order_values(order: Order) -> dict[str, Any]:
    return {
        "id": order.id,
        "token": order.token,
        "payee_id": order.payee_id,
        "title": order.title,
        "currency": order.currency.code,
        "total_minor": order.total_minor,
        "n": order.n,
        "kind": order.kind.value,
        "mode": order.mode.value,
        "state": order.state.value,
        "password_hash": order.password_hash,
        "hold_s": order.hold_s,
        "created_at": order.created_at,
        "expires_at": order.expires_at,
        "closed_at": order.closed_at,
        "paid_count": order.paid_count,
        "paid_minor": order.paid_minor,
        "refunded_minor": order.refunded_minor,
        "idempotency_key": order.idempotency_key,
    }


def sub_order_from(row: RowMapping) -> SubOrder:
    return SubOrder(
        id=SubOrderId(row["id"]),
        order_id=OrderId(row["order_id"]),
        idx=row["idx"],
        amount_minor=row["amount_minor"],
        state=SubOrderState(row["state"]),
        payer_ref=row["payer_ref"],
        hold_until=row["hold_until"],
        hold_seq=row["hold_seq"],
        gateway=row["gateway"],
        checkout_ref=row["checkout_ref"],
        checkout_url=row["checkout_url"],
        paid_at=row["paid_at"],
        payer_name=row["payer_name"],
        assignee=row["assignee"],
    )


def sub_order_values(sub: SubOrder) -> dict[str, Any]:
    return {
        "id": sub.id,
        "order_id": sub.order_id,
        "idx": sub.idx,
        "amount_minor": sub.amount_minor,
        "state": sub.state.value,
        "payer_ref": sub.payer_ref,
        "hold_until": sub.hold_until,
        "hold_seq": sub.hold_seq,
        "gateway": sub.gateway,
        "checkout_ref": sub.checkout_ref,
        "checkout_url": sub.checkout_url,
        "paid_at": sub.paid_at,
        "payer_name": sub.payer_name,
        "assignee": sub.assignee,
    }


def payment_from(row: RowMapping) -> Payment:
    order_id = row["order_id"]
    sub_order_id = row["sub_order_id"]
    return Payment(
        id=PaymentId(row["id"]),
        gateway=row["gateway"],
        payment_ref=row["payment_ref"],
        checkout_ref=row["checkout_ref"],
        order_id=OrderId(order_id) if order_id is not None else None,
        sub_order_id=SubOrderId(sub_order_id) if sub_order_id is not None else None,
        amount_minor=row["amount_minor"],
        currency=row["currency"],
        status=PaymentStatus(row["status"]),
        counted=bool(row["counted"]),
        reason=row["reason"],
        created_at=_aware(row["created_at"]),
        updated_at=_aware(row["updated_at"]),
        attempts=row["attempts"],
        last_error=row["last_error"],
    )


def payment_values(payment: Payment) -> dict[str, Any]:
    return {
        "id": payment.id,
        "gateway": payment.gateway,
        "payment_ref": payment.payment_ref,
        "checkout_ref": payment.checkout_ref,
        "order_id": payment.order_id,
        "sub_order_id": payment.sub_order_id,
        "amount_minor": payment.amount_minor,
        "currency": payment.currency,
        "status": payment.status.value,
        "counted": payment.counted,
        "reason": payment.reason,
        "created_at": payment.created_at,
        "updated_at": payment.updated_at,
        "attempts": payment.attempts,
        "last_error": payment.last_error,
    }
