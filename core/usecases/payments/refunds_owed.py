"""Refunds a gateway cannot make: the payee owes them, gives the money back, and says so."""

from __future__ import annotations

import logging
from datetime import datetime

from core.domain.errors import Conflict, NotAllowed, NotFound
from core.domain.events import RefundOwed
from core.domain.model import Order, PayeeId, Payment, PaymentId, PaymentStatus
from core.ports.store import Tx
from core.usecases.deps import UseCases
from core.usecases.payments.bookings import move_payment, owed_event, payer_of

log = logging.getLogger(__name__)


class RefundsOwed(UseCases):
    """Refunds a gateway cannot make: the payee owes them and marks them refunded."""

    async def refund_owed(self, p: Payment) -> None:
        """refund_pending -> refund_owed: nothing will retry it; the payee is told.

        No money moved, so nothing is booked now; the entry comes when the payee says
        the money went back (mark_refunded).
        """
        d = self._d
        now = d.clock.now()
        async with d.store.transaction() as tx:
            moved = await tx.payments.set_payment_status(
                p.id, [PaymentStatus.REFUND_PENDING], PaymentStatus.REFUND_OWED, now
            )
            event = await _owed_event(tx, p, now) if moved else None
            if event is not None:
                await tx.outbox.add_events([event], now)
        if not moved:
            return
        log.warning("payment %s: the gateway cannot refund it; the payee owes it", p.id)
        if event is not None:
            await d.publish([event])

    async def mark_refunded(self, payment_id: str, payee_id: PayeeId) -> Payment:
        """The payee gave an owed refund back by hand: refund_owed -> refunded, booked.

        Only the payee of the payment's order may say so; saying it twice changes nothing.
        """
        d = self._d
        async with d.store.transaction() as tx:
            p = await tx.payments.get_payment_by_id(PaymentId(payment_id))
            order = await tx.orders.get_order(p.order_id) if p is not None and p.order_id else None
            if p is None or order is None:
                raise NotFound("no such payment")
            if order.payee_id != payee_id:  # not theirs: as if there were no such payment
                raise NotFound("no such payment")
            if p.status == PaymentStatus.REFUNDED:
                return p
            if p.status != PaymentStatus.REFUND_OWED:
                raise NotAllowed(
                    "this payment is not waiting for a refund by hand", status=p.status.value
                )
            now = d.clock.now()
            if not await move_payment(
                tx, p, [PaymentStatus.REFUND_OWED], PaymentStatus.REFUNDED, now
            ):
                raise Conflict("the payment changed meanwhile; try again")
            done = await tx.payments.get_payment_by_id(p.id)
        log.info("payment %s: refunded by hand by the payee of order %s", p.id, order.id)
        return done or p


async def _owed_event(tx: Tx, p: Payment, now: datetime) -> RefundOwed | None:
    """What tells the payee (and the payer, when known) about a refund owed."""
    order = await tx.orders.get_order(p.order_id) if p.order_id else None
    if order is None:
        log.error("payment %s: a refund is owed but no order names its payee", p.id)
        return None
    return owed_event(order, p, _reason(p, order), now, await payer_of(tx, p))


def _reason(p: Payment, order: Order) -> str:
    """Why the money goes back: the late payment's reason, else what became of the order."""
    return p.reason if not p.counted else f"order {order.state}"
