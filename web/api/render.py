"""Domain views into API answers: amounts as decimal strings, and never a secret."""

from __future__ import annotations

from typing import Any

from core.domain.errors import DomainError, Unsupported, invariant
from core.domain.holds import HOLDS_PER_SOURCE
from core.domain.ledger.figures import MonthTotals, OrderTotals, Stats, Totals
from core.domain.ledger.figures import amount_text as ledger_amount
from core.domain.methods import Instructions, PayeeMethod
from core.domain.model import Order, OrderState, Settled, SubOrder, SubOrderState
from core.domain.money import Currency, Money, to_decimal
from core.domain.payers import shown_payer
from core.usecases.deps import CancelResult, OrderView, Reservation
from core.usecases.records import Record, RecordPage
from web.api.render_methods import method_choice, transfer_out
from web.api.schemas import (
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
from web.api.schemas_records import (
    MonthTotalsOut,
    OrderTotalsOut,
    RecordOut,
    RecordPageOut,
    StatsOut,
    TotalsOut,
)
from web.links import Links

#: A payee's paused payout account, as its payers read it (the engine's words are the payee's).
PAYOUT_PAUSED = (
    "card payments to this payee are paused: their Stripe account cannot take payments now; "
    "choose another payment method, or try again later"
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
        "parts_unpaid": order.n - order.paid_count,
        "paid": amount_text(order.paid_minor, cur),
        "paid_minor": order.paid_minor,
        "refunded": amount_text(order.refunded_minor, cur),
        "refunded_minor": order.refunded_minor,
        "pay_url": links.pay(order.token),
        "qr_url": links.qr(order.id),
        "holds_per_client": order.holds_per_source or HOLDS_PER_SOURCE,
        "payee_display_name": order.payee_display_name,
    }


def order_summary(order: Order, links: Links) -> OrderSummaryOut:
    return OrderSummaryOut(**_summary_fields(order, links))


def sub_order(sub: SubOrder, cur: Currency) -> SubOrderOut:
    return SubOrderOut(
        index=sub.idx,
        amount=amount_text(sub.amount_minor, cur),
        amount_minor=sub.amount_minor,
        state=sub.state,
        payer=shown_payer(sub.payer_ref, sub.payer_name),
        payer_name=sub.payer_name,
        hold_until=sub.hold_until if sub.state == SubOrderState.RESERVED else None,
        paid_at=sub.paid_at,
    )


def order_out(view: OrderView, links: Links) -> OrderOut:
    cur = view.order.currency
    subs = [sub_order(s, cur) for s in view.subs]
    free, authorised = _free_and_authorised(view)
    return OrderOut(
        **_summary_fields(view.order, links),
        parts_free=free,
        authorised=authorised,
        sub_orders=subs,
    )


def _free_and_authorised(view: OrderView) -> tuple[int, int]:
    """The parts a payer can take now, and those authorised and not captured (mode all)."""
    invariant(view.authorised is not None, f"order {view.order.id}: authorised not counted")
    free = sum(1 for s in view.subs if s.state == SubOrderState.AVAILABLE)
    return (free if view.order.state == OrderState.OPEN else 0), view.authorised or 0


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


def public_order(
    view: OrderView, gateways: list[str], methods: list[PayeeMethod]
) -> PublicOrderOut:
    """`gateways`: the operator's a payer here may choose; `methods`: the payee's own."""
    order, cur = view.order, view.order.currency
    amounts = [amount_text(s.amount_minor, cur) for s in view.subs]
    free, authorised = _free_and_authorised(view)
    return PublicOrderOut(
        title=order.title,
        currency=cur.code,
        state=order.state,
        n=order.n,
        paid_count=order.paid_count,
        parts_unpaid=order.n - order.paid_count,
        parts_free=free,
        authorised=authorised,
        slots_left=order.n - order.paid_count,
        available=free,
        payee_display_name=order.payee_display_name,
        amount_per_part=amounts[0] if len(set(amounts)) == 1 else None,
        amounts=amounts,
        has_password=order.has_password,
        expires_at=order.expires_at,
        gateways=gateways,
        methods=[method_choice(m) for m in methods],
    )


def reservation(res: Reservation, links: Links, transfer: Instructions | None = None) -> ReserveOut:
    """`transfer`: how to pay a part held for a transfer, when `res` does not carry it."""
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
        parts_unpaid=order.n - order.paid_count,
        slots_left=order.n - order.paid_count,
        expires_at=order.expires_at,
        payee_display_name=order.payee_display_name,
    )
    how = res.transfer or transfer
    return ReserveOut(
        sub_order=part,
        # a transfer's hold has no checkout: its URL is stored empty
        checkout_url=None if sub.transfer_ref is not None else sub.checkout_url or None,
        transfer=transfer_out(how, order.token, links) if how is not None else None,
        order=brief,
        hold_secret=res.hold_secret,
    )


def record_out(r: Record) -> RecordOut:
    e = r.entry
    return RecordOut(
        index=e.index,
        kind=e.kind,
        at=e.at,
        roles=list(r.roles),
        order_id=e.order_id,
        order_title=r.order_title,
        sub_order_id=e.sub_order_id,
        payment_id=e.payment_id,
        amount=ledger_amount(e.amount_minor, e.currency),
        amount_minor=e.amount_minor,
        currency=e.currency,
        signed_amount=ledger_amount(r.signed_minor, e.currency),
        signed_minor=r.signed_minor,
        payer_name=r.payer_name,
        receipt_id=r.receipt_id,
        note=e.note,
        method=e.method,
        settled=Settled(e.settled) if e.settled is not None else None,
    )


def record_page(page: RecordPage) -> RecordPageOut:
    items = [record_out(r) for r in page.items]
    return RecordPageOut(items=items, total=page.total, limit=page.limit, offset=page.offset)


def _totals(t: Totals) -> dict[str, Any]:
    return {
        "currency": t.currency,
        "collected": ledger_amount(t.collected_minor, t.currency),
        "collected_minor": t.collected_minor,
        "refunded": ledger_amount(t.refunded_minor, t.currency),
        "refunded_minor": t.refunded_minor,
        "net": ledger_amount(t.net_minor, t.currency),
        "net_minor": t.net_minor,
        "direct": ledger_amount(t.direct_minor, t.currency),
        "direct_minor": t.direct_minor,
        "through_operator": ledger_amount(t.operator_minor, t.currency),
        "through_operator_minor": t.operator_minor,
    }


def _month(m: MonthTotals) -> MonthTotalsOut:
    return MonthTotalsOut(month=m.month, **_totals(m.totals))


def _order(o: OrderTotals) -> OrderTotalsOut:
    return OrderTotalsOut(
        order_id=o.order_id,
        title=o.title,
        created_at=o.created_at,
        parts_paid=o.parts_paid,
        **_totals(o.totals),
    )


def stats_out(st: Stats) -> StatsOut:
    return StatsOut(
        since=st.since,
        until=st.until,
        totals=[TotalsOut(**_totals(t)) for t in st.totals],
        by_month=[_month(m) for m in st.by_month],
        by_order=[_order(o) for o in st.by_order],
        payers=st.payers,
        orders_completed=st.completed,
        orders_expired=st.expired,
        orders_cancelled=st.cancelled,
        avg_complete_s=st.avg_complete_s,
    )


def for_payer(exc: DomainError) -> DomainError:
    """A refusal of a payer's reservation in the payer's words: why the payee's own Stripe
    account cannot take cards now is the payee's to read, not the payer's."""
    if isinstance(exc, Unsupported) and exc.fields.get("reason") == "payout_paused":
        return Unsupported(PAYOUT_PAUSED, **exc.fields)
    return exc
