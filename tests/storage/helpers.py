"""Builders for the storage contract tests: payees, orders with sub-orders, payments."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

from core.domain.model import (
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
from core.domain.money import currency
from core.ports.store import Store

T0 = datetime(2025, 3, 1, 12, 0, 0, 123456, tzinfo=UTC)
AMOUNT = 4000


def new_id(prefix: str) -> str:
    return f"{prefix}_{uuid.uuid4().hex}"


def make_payee(name: str | None = None) -> Payee:
    return Payee(PayeeId(new_id("pay")), name or new_id("name"), T0)


def make_order(
    payee_id: PayeeId,
    n: int = 6,
    amount_minor: int = AMOUNT,
    valid: timedelta = timedelta(hours=1),
    key: str | None = None,
    created_at: datetime = T0,
) -> tuple[Order, list[SubOrder]]:
    order = Order(
        id=OrderId(new_id("ord")),
        token=new_id("tok"),
        payee_id=payee_id,
        title="Dinner at Luigi's",
        currency=currency("USD"),
        total_minor=amount_minor * n,
        n=n,
        kind=SplitKind.EQUAL,
        mode=Mode.KEEP,
        state=OrderState.OPEN,
        password_hash=None,
        hold_s=600,
        created_at=created_at,
        expires_at=created_at + valid,
        idempotency_key=key,
    )
    subs = [
        SubOrder(SubOrderId(new_id("sub")), order.id, i, amount_minor, SubOrderState.AVAILABLE)
        for i in range(n)
    ]
    return order, subs


async def seed_order(store: Store, n: int = 6, valid: timedelta = timedelta(hours=1)) -> Order:
    """A payee and one open order of n sub-orders, committed."""
    payee = make_payee()
    order, subs = make_order(payee.id, n=n, valid=valid)
    async with store.transaction() as tx:
        await tx.payees.add_payee(payee)
        await tx.orders.add_order(order, subs)
    return order


def make_payment(
    order: Order | None = None,
    sub: SubOrder | None = None,
    status: PaymentStatus = PaymentStatus.CAPTURED,
    created_at: datetime = T0,
    payment_ref: str | None = None,
) -> Payment:
    return Payment(
        id=PaymentId(new_id("pmt")),
        gateway="sandbox",
        payment_ref=payment_ref or new_id("pi"),
        checkout_ref=new_id("cs"),
        order_id=order.id if order else None,
        sub_order_id=sub.id if sub else None,
        amount_minor=AMOUNT,
        currency="USD",
        status=status,
        counted=True,
        reason="paid",
        created_at=created_at,
        updated_at=created_at,
    )
