"""Settlement: apply the gateway's events exactly once, never counting more than N payments."""

from __future__ import annotations

import logging
from collections.abc import Mapping

from core.base import UseCases
from core.closing import Aftermath, close
from core.deps import Outcome
from core.errors import NotFound, invariant
from core.events import HoldReleased, LatePaymentRefunded, SubOrderPaid, SubOrderRefunded
from core.model import (
    Order,
    OrderState,
    Payment,
    PaymentId,
    PaymentStatus,
    SubOrder,
    SubOrderId,
    SubOrderState,
)
from core.ports import GatewayEvent, GatewayEventKind, Tx

log = logging.getLogger(__name__)
security_log = logging.getLogger("chipin.security")


_MONEY_IN = (GatewayEventKind.SUCCEEDED, GatewayEventKind.AUTHORISED)


class Settling(UseCases):
    async def handle_webhook(
        self, gateway: str, body: bytes, headers: Mapping[str, str]
    ) -> list[Outcome]:
        """Verify and apply a gateway webhook; WebhookRejected (nothing changed) if invalid."""
        gw = self._d.gateways.get(gateway)
        if gw is None:
            raise NotFound(f"no gateway {gateway!r}")
        events = gw.parse_webhook(body, headers, self._d.clock.now())
        return [await self.apply_event(e) for e in events]

    async def apply_event(self, event: GatewayEvent) -> Outcome:
        """Apply one gateway event in one transaction, idempotent by (gateway, event id)."""
        d = self._d
        now = d.clock.now()
        out = Aftermath()
        async with d.store.transaction() as tx:
            if not await tx.record_event(event.gateway, event.event_id, event.kind.value, now):
                return Outcome.DUPLICATE
            if event.kind in _MONEY_IN:
                outcome = await self._money_in(tx, event, out)
            elif event.kind == GatewayEventKind.FAILED:
                outcome = await self._declined(tx, event, out)
            elif event.kind == GatewayEventKind.IGNORED:
                outcome = Outcome.IGNORED
            else:
                outcome = await self._money_moved(tx, event, out)
        await self._after(out)
        log.info("event %s/%s %s: %s", event.gateway, event.event_id, event.kind, outcome)
        return outcome

    async def _money_in(self, tx: Tx, event: GatewayEvent, out: Aftermath) -> Outcome:
        now = self._d.clock.now()
        known = await tx.get_payment(event.gateway, event.payment_ref)
        if known is not None:
            # The same money reported again under another event id (webhook and reconciliation).
            if (
                event.kind == GatewayEventKind.SUCCEEDED
                and known.status == PaymentStatus.AUTHORISED
            ):
                await tx.set_payment_status(known.id, [known.status], PaymentStatus.CAPTURED, now)
            return Outcome.DUPLICATE
        sub = await _sub_order_of(tx, event)
        order = await tx.get_order(sub.order_id) if sub else None
        reason = await self._claim(tx, event, sub, order)
        status = (
            PaymentStatus.CAPTURED
            if event.kind == GatewayEventKind.SUCCEEDED
            else PaymentStatus.AUTHORISED
        )
        if reason is not None:
            status = (
                PaymentStatus.REFUND_PENDING
                if status == PaymentStatus.CAPTURED
                else PaymentStatus.VOID_PENDING
            )
        payment = Payment(
            id=PaymentId(self._d.ids.new_id("pmt")),
            gateway=event.gateway,
            payment_ref=event.payment_ref,
            checkout_ref=event.checkout_ref,
            order_id=order.id if order else None,
            sub_order_id=sub.id if sub else None,
            amount_minor=event.amount_minor,
            currency=event.currency,
            status=status,
            counted=reason is None,
            reason=reason or "paid",
            created_at=now,
            updated_at=now,
        )
        await tx.add_payment(payment)
        if reason is not None:
            out.drive.append(payment)
            if order is not None:
                out.events.append(
                    LatePaymentRefunded(
                        order.id, now, event.payment_ref, event.amount_minor, reason
                    )
                )
            return Outcome.REFUNDING
        invariant(sub is not None and order is not None, "a counted payment has its order")
        if sub is None or order is None:
            return Outcome.IGNORED
        await self._counted(tx, order, sub, payment, out)
        return Outcome.APPLIED

    async def _claim(
        self, tx: Tx, event: GatewayEvent, sub: SubOrder | None, order: Order | None
    ) -> str | None:
        """Count the payment against its sub-order and order; the reason it cannot, or None."""
        now = self._d.clock.now()
        if sub is None or order is None:
            security_log.warning("payment %s for unknown checkout", event.payment_ref)
            return "unknown checkout"
        if event.amount_minor != sub.amount_minor or event.currency != order.currency.code:
            security_log.warning(
                "payment %s amount/currency mismatch for sub-order %s", event.payment_ref, sub.id
            )
            return "amount mismatch"
        if not await tx.mark_sub_paid(sub.id, event.checkout_ref, now):
            return "reservation no longer held"
        if await tx.count_paid(order.id, sub.amount_minor, now) is None:
            await tx.unmark_sub_paid(sub.id)
            current = await tx.get_order(order.id)
            state = current.state if current else order.state
            return "order full" if state == OrderState.OPEN else f"order {state}"
        return None

    async def _counted(
        self, tx: Tx, order: Order, sub: SubOrder, payment: Payment, out: Aftermath
    ) -> None:
        now = self._d.clock.now()
        current = await tx.get_order(order.id)
        invariant(current is not None, "the order we just counted vanished")
        if current is None:
            return
        out.events.append(
            SubOrderPaid(
                order.id, now, sub.id, sub.payer_ref or "", sub.amount_minor, current.paid_count
            )
        )
        if current.paid_count == current.n:
            await close(tx, current, (OrderState.OPEN,), OrderState.COMPLETED, now, out)

    async def _declined(self, tx: Tx, event: GatewayEvent, out: Aftermath) -> Outcome:
        """A declined payment frees the reservation for someone else (or for a retry)."""
        sub = await tx.sub_order_for_checkout(event.gateway, event.checkout_ref)
        if sub is None or sub.state != SubOrderState.RESERVED:
            return Outcome.IGNORED
        if not await tx.release_hold(sub.id, sub.hold_seq):
            return Outcome.IGNORED
        out.events.append(
            HoldReleased(sub.order_id, self._d.clock.now(), sub.id, sub.payer_ref or "")
        )
        return Outcome.APPLIED

    async def _money_moved(self, tx: Tx, event: GatewayEvent, out: Aftermath) -> Outcome:
        """Captured, refunded or voided at the gateway: confirm our pending step, or record it."""
        now = self._d.clock.now()
        p = await tx.get_payment(event.gateway, event.payment_ref)
        if p is None:
            return Outcome.IGNORED
        kind = event.kind
        if kind == GatewayEventKind.CAPTURED:
            from_ = [PaymentStatus.AUTHORISED, PaymentStatus.CAPTURE_PENDING]
            to = PaymentStatus.CAPTURED
        elif kind == GatewayEventKind.REFUNDED:
            from_ = [PaymentStatus.REFUND_PENDING, PaymentStatus.CAPTURED]
            to = PaymentStatus.REFUNDED
        else:
            from_ = [PaymentStatus.VOID_PENDING, PaymentStatus.AUTHORISED]
            to = PaymentStatus.VOIDED
        if p.status not in from_ or not await tx.set_payment_status(p.id, from_, to, now):
            return Outcome.IGNORED
        if (
            p.counted
            and p.status in (PaymentStatus.CAPTURED, PaymentStatus.AUTHORISED)
            and (to != PaymentStatus.CAPTURED)
        ):
            await self._given_back_outside(tx, p, out)
        return Outcome.APPLIED

    async def _given_back_outside(self, tx: Tx, p: Payment, out: Aftermath) -> None:
        """The payee refunded or voided at the gateway itself: record it against the order."""
        now = self._d.clock.now()
        if p.order_id is None:
            return
        if p.sub_order_id is not None:
            await tx.set_sub_state(p.sub_order_id, SubOrderState.PAID, SubOrderState.REFUNDED)
        await tx.add_refunded_amount(p.order_id, p.amount_minor)
        sub = await tx.get_sub_order(p.sub_order_id) if p.sub_order_id else None
        out.events.append(
            SubOrderRefunded(
                p.order_id,
                now,
                p.sub_order_id,
                sub.payer_ref if sub else None,
                p.amount_minor,
                "refunded at the gateway",
            )
        )


async def _sub_order_of(tx: Tx, event: GatewayEvent) -> SubOrder | None:
    """The sub-order a payment is for: by its checkout, else by the signed metadata.

    The checkout of a lapsed hold is no longer on the sub-order, but the money is still
    for that order, and the payer must hear why it comes back.
    """
    sub = await tx.sub_order_for_checkout(event.gateway, event.checkout_ref)
    if sub is None and event.sub_order_id:
        sub = await tx.get_sub_order(SubOrderId(event.sub_order_id))
    return sub
