"""Domain views into API answers: amounts as decimal strings, and never a secret."""

from __future__ import annotations

from typing import Any

from core.deps import CancelResult, OrderView, Reservation
from core.model import Order, SubOrder, SubOrderState
from core.money import Currency, Money, to_decimal
from web.links import Links
from web.schemas import (
    CancelOut,
    OrderOut,
    OrderSummaryOut,
    PublicOrderOut,
    RefundOut,
    ReservedPartOut,
    ReserveOrderOut,
    ReserveOut,
    SubOrderOut,
)


def amount_text(amount_minor: int, cur: Currency) -> str:
    """'33.34' for 3334 USD minor units, '100' for 100 JPY: exact, never scientific."""
    return format(to_decimal(Money(amount_minor, cur)), "f")


def _summary_fields(order: Order, links: Links) -> dict[str, Any]:
    cur = order.currency
    return {
        "id": order.id,
        "title": order.title,
        "state": order.state,
        "currency": cur.code,
        "total": amount_text(order.total_minor, cur),
        "total_minor": order.total_minor,
        "n": order.n,
        "kind": order.kind,
        "mode": order.mode,
        "has_password": order.has_password,
        "created_at": order.created_at,
        "expires_at": order.expires_at,
        "closed_at": order.closed_at,
        "paid_count": order.paid_count,
        "paid": amount_text(order.paid_minor, cur),
        "paid_minor": order.paid_minor,
        "refunded": amount_text(order.refunded_minor, cur),
        "refunded_minor": order.refunded_minor,
        "pay_url": links.pay(order.token),
        "qr_url": links.qr(order.id),
    }


def order_summary(order: Order, links: Links) -> OrderSummaryOut:
    return OrderSummaryOut(**_summary_fields(order, links))


def sub_order(sub: SubOrder, cur: Currency) -> SubOrderOut:
    return SubOrderOut(
        index=sub.idx,
        amount=amount_text(sub.amount_minor, cur),
        amount_minor=sub.amount_minor,
        state=sub.state,
        payer=sub.payer_ref,
        hold_until=sub.hold_until if sub.state == SubOrderState.RESERVED else None,
        paid_at=sub.paid_at,
    )


def order_out(view: OrderView, links: Links) -> OrderOut:
    cur = view.order.currency
    subs = [sub_order(s, cur) for s in view.subs]
    return OrderOut(**_summary_fields(view.order, links), sub_orders=subs)


def cancel_out(result: CancelResult, links: Links) -> CancelOut:
    index = {s.id: s.idx for s in result.view.subs}
    cur = result.view.order.currency
    refunded = [
        RefundOut(
            payment_id=p.id,
            sub_order_index=index.get(p.sub_order_id) if p.sub_order_id else None,
            amount=amount_text(p.amount_minor, cur),
            amount_minor=p.amount_minor,
            status=p.status,
        )
        for p in result.refunded
    ]
    return CancelOut(order=order_out(result.view, links), refunded=refunded)


def public_order(view: OrderView) -> PublicOrderOut:
    order, cur = view.order, view.order.currency
    amounts = [amount_text(s.amount_minor, cur) for s in view.subs]
    return PublicOrderOut(
        title=order.title,
        currency=cur.code,
        state=order.state,
        n=order.n,
        paid_count=order.paid_count,
        slots_left=order.n - order.paid_count,
        available=sum(1 for s in view.subs if s.state == SubOrderState.AVAILABLE),
        amount_per_part=amounts[0] if len(set(amounts)) == 1 else None,
        amounts=amounts,
        has_password=order.has_password,
        expires_at=order.expires_at,
    )


def reservation(res: Reservation) -> ReserveOut:
    order, sub, cur = res.order, res.sub, res.order.currency
    due = amount_text(sub.amount_minor, cur)
    part = ReservedPartOut(
        index=sub.idx,
        amount=due,
        amount_minor=sub.amount_minor,
        state=sub.state,
        hold_until=sub.hold_until,
    )
    brief = ReserveOrderOut(
        title=order.title,
        currency=cur.code,
        amount_due=due,
        slots_left=order.n - order.paid_count,
        expires_at=order.expires_at,
    )
    return ReserveOut(sub_order=part, checkout_url=sub.checkout_url, order=brief)
