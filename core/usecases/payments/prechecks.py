"""The last look before a payer's money moves: may this checkout still be paid, by this payer?

Telegram asks before it charges (a pre-checkout query, answered within 10 s). The answer
is only a courtesy to the payer: settlement checks everything again in its transaction,
and money that still cannot count is refunded (or owed by the payee).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

from core.domain.model import Order, OrderState, SubOrder, SubOrderId, SubOrderState
from core.usecases.deps import UseCases


class Verdict(StrEnum):
    OK = "ok"
    UNKNOWN = "unknown"  # no checkout of ours by that reference
    WRONG_AMOUNT = "wrong_amount"  # amount or currency differ from the part
    FULL = "full"  # every part is paid
    CLOSED = "closed"  # the order is completed, expired or cancelled: `state` says which
    NOT_YOURS = "not_yours"  # another payer holds (or paid) this part
    PAID = "paid"  # the payer paid this part already
    LAPSED = "lapsed"  # the payer's hold ran out (the part may be someone else's now)


@dataclass(frozen=True, slots=True)
class Precheck:
    verdict: Verdict
    order: Order | None = None
    state: str = ""  # for CLOSED: completed, expired or cancelled

    @property
    def ok(self) -> bool:
        return self.verdict == Verdict.OK


class Prechecks(UseCases):
    """The last look before a payer's money moves: may this checkout still be paid?"""

    async def precheck(
        self,
        gateway: str,
        checkout_ref: str,
        payer_ref: str,
        amount_minor: int,
        currency: str,
        sub_order_id: str | None = None,
    ) -> Precheck:
        """Whether `payer_ref` may pay `amount_minor` `currency` into this checkout now.

        `sub_order_id` (from a signed payload) finds the part when its checkout moved on
        (the hold lapsed and the part was taken again), so the payer hears why.
        """
        async with self._d.store.transaction() as tx:
            sub = await tx.sub_orders.sub_order_for_checkout(gateway, checkout_ref)
            if sub is None and sub_order_id:
                sub = await tx.sub_orders.get_sub_order(SubOrderId(sub_order_id))
            order = await tx.orders.get_order(sub.order_id) if sub is not None else None
        if sub is None or order is None:
            return Precheck(Verdict.UNKNOWN)
        now = self._d.clock.now()
        return judge(sub, order, checkout_ref, payer_ref, amount_minor, currency, now)


def judge(
    sub: SubOrder,
    order: Order,
    checkout_ref: str,
    payer_ref: str,
    amount_minor: int,
    currency: str,
    now: datetime,
) -> Precheck:
    """The verdict on one part, from the most general reason to the most particular."""
    if amount_minor != sub.amount_minor or currency != order.currency.code:
        return Precheck(Verdict.WRONG_AMOUNT, order)
    if order.state == OrderState.COMPLETED or order.paid_count >= order.n:
        return Precheck(Verdict.FULL, order)
    if order.state != OrderState.OPEN:
        return Precheck(Verdict.CLOSED, order, order.state.value)
    if order.expires_at <= now:
        return Precheck(Verdict.CLOSED, order, OrderState.EXPIRED.value)
    if sub.payer_ref is not None and sub.payer_ref != payer_ref:
        return Precheck(Verdict.NOT_YOURS, order)
    if sub.state == SubOrderState.PAID:
        return Precheck(Verdict.PAID, order)
    held = sub.state == SubOrderState.RESERVED and sub.checkout_ref == checkout_ref
    if not held or sub.hold_until is None or sub.hold_until <= now:
        return Precheck(Verdict.LAPSED, order)
    return Precheck(Verdict.OK, order)
