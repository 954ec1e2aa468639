"""Settlement: apply the gateway's events exactly once, never counting more than N payments."""

from __future__ import annotations

import logging
from collections.abc import Mapping
from datetime import datetime

from core.domain.errors import NotFound, WebhookRejected
from core.domain.events import LatePaymentRefunded, SubOrderPaid
from core.domain.ledger.entries import EntryKind, paid_draft
from core.domain.model import (
    Mode,
    Order,
    OrderState,
    Payment,
    PaymentId,
    PaymentStatus,
    SubOrder,
    SubOrderId,
)
from core.domain.money import MAX_MINOR
from core.domain.text import is_storable
from core.ports.store import GatewayEvent, GatewayEventKind, Tx
from core.usecases.deps import Deps, Outcome, UseCases
from core.usecases.payments.bookings import book_payment, move_payment
from core.usecases.payments.close import Aftermath, close
from core.usecases.payments.confirmations import declined, money_moved
from core.usecases.payments.funds import code_counted
from core.usecases.payments.gateway_calls import GatewayCalls

log = logging.getLogger(__name__)
security_log = logging.getLogger("chipin.security")

_MONEY_IN = (GatewayEventKind.SUCCEEDED, GatewayEventKind.AUTHORISED)
VOIDED_FIRST = "voided at the gateway before it was reported"


class _AlreadyRecorded(Exception):
    """Another transaction recorded this payment first: undo ours, it is a duplicate."""


class Settlement(UseCases):
    """Gateway events and webhooks, applied to payments, parts and orders."""

    def __init__(self, deps: Deps, calls: GatewayCalls) -> None:
        super().__init__(deps)
        self._calls = calls

    async def handle_webhook(
        self, gateway: str, body: bytes, headers: Mapping[str, str]
    ) -> list[Outcome]:
        """Verify and apply a gateway webhook; WebhookRejected (nothing changed) if invalid."""
        gw = self._d.gateways.get(gateway)
        if gw is None:
            raise NotFound(f"no gateway {gateway!r}")
        events = gw.parse_webhook(body, headers, self._d.clock.now())
        for event in events:  # all or none: a half-applied delivery would come back for ever
            check_event(event)
        return [await self.apply_event(e) for e in events]

    async def payment_of(self, gateway: str, payment_ref: str) -> Payment | None:
        """What became of a payment the gateway reported (by the gateway's own id)."""
        async with self._d.store.transaction() as tx:
            return await tx.payments.get_payment(gateway, payment_ref)

    async def apply_event(self, event: GatewayEvent) -> Outcome:
        """Apply one gateway event in one transaction, idempotent by (gateway, event id)."""
        check_event(event)
        out = Aftermath()
        try:
            outcome = await self._apply(event, out)
        except _AlreadyRecorded:
            outcome, out = Outcome.DUPLICATE, Aftermath()
        await self._calls.after(out)
        log.info("event %s/%s %s: %s", event.gateway, event.event_id, event.kind, outcome)
        return outcome

    async def _apply(self, event: GatewayEvent, out: Aftermath) -> Outcome:
        now = self._d.clock.now()
        async with out.transaction(self._d.store, now) as tx:
            if not await tx.payments.record_event(
                event.gateway, event.event_id, event.kind.value, now
            ):
                return Outcome.DUPLICATE
            if event.kind in _MONEY_IN:
                return await self._money_in(tx, event, out)
            if event.kind == GatewayEventKind.FAILED:
                return await declined(tx, event, now, out)
            if event.kind == GatewayEventKind.IGNORED:
                return Outcome.IGNORED
            return await money_moved(tx, event, now, out)

    async def _money_in(self, tx: Tx, event: GatewayEvent, out: Aftermath) -> Outcome:
        now = self._d.clock.now()
        known = await tx.payments.get_payment(event.gateway, event.payment_ref)
        if known is not None:
            # The same money reported again under another event id (webhook and reconciliation).
            if event.kind == GatewayEventKind.SUCCEEDED and known.status in (
                PaymentStatus.AUTHORISED,
                PaymentStatus.CAPTURE_PENDING,
            ):
                await move_payment(tx, known, [known.status], PaymentStatus.CAPTURED, now)
            return Outcome.DUPLICATE
        sub = await _sub_order_of(tx, event)
        order = await tx.orders.get_order(sub.order_id) if sub else None
        voided = event.kind == GatewayEventKind.AUTHORISED and await tx.checkouts.take_early_void(
            event.gateway, event.payment_ref
        )
        reason, paid_count = (
            (VOIDED_FIRST, 0) if voided else await _claim(tx, event, sub, order, now)
        )
        payment = self._payment(event, sub, order, reason, now)
        if not await tx.payments.add_payment(payment):
            raise _AlreadyRecorded(event.payment_ref)
        if reason is not None:
            payer = (event.payer_ref, event.payer_name) if event.payer_ref else None
            await book_payment(tx, EntryKind.PAYMENT_LATE, payment, now, reason, payer)
            if voided:  # the gateway released it already: nothing left to do there
                await tx.payments.set_payment_status(
                    payment.id, [payment.status], PaymentStatus.VOIDED, now
                )
                await book_payment(tx, EntryKind.LATE_VOIDED, payment, now, reason, payer)
            else:
                out.drive.append(payment)
            if order is not None:
                out.events.append(
                    LatePaymentRefunded(
                        order.id, now, event.payment_ref, event.amount_minor, reason
                    )
                )
            return Outcome.REFUNDING
        if sub is not None and order is not None:
            tx.ledger.append_ledger(paid_draft(order, sub, payment, now))
            await self._counted(tx, order, sub, payment, paid_count, out)
            if payment.status == PaymentStatus.CAPTURE_PENDING:
                out.drive.append(payment)
        return Outcome.APPLIED

    def _payment(
        self,
        event: GatewayEvent,
        sub: SubOrder | None,
        order: Order | None,
        reason: str | None,
        now: datetime,
    ) -> Payment:
        captured = event.kind == GatewayEventKind.SUCCEEDED
        if reason is None:
            status = PaymentStatus.CAPTURED if captured else _held(order)
        else:
            status = PaymentStatus.REFUND_PENDING if captured else PaymentStatus.VOID_PENDING
        return Payment(
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
            payout_account=event.payout_account,
            fee_minor=event.fee_minor,
        )

    async def _counted(
        self, tx: Tx, order: Order, sub: SubOrder, payment: Payment, paid_count: int, out: Aftermath
    ) -> None:
        """`paid_count` is what count_paid made it, in this transaction: no need to read the
        order again (close() reads it itself; of `order` it uses only the id and mode)."""
        now = self._d.clock.now()
        out.events.append(
            SubOrderPaid(
                order.id,
                now,
                sub.id,
                sub.payer_ref or "",
                sub.amount_minor,
                paid_count,
                payment.id,
                payment.gateway,
            )
        )
        await code_counted(tx, order, sub.amount_minor, now, out.events)
        if paid_count == order.n:
            await close(tx, order, (OrderState.OPEN,), OrderState.COMPLETED, now, out)


async def _claim(
    tx: Tx, event: GatewayEvent, sub: SubOrder | None, order: Order | None, now: datetime
) -> tuple[str | None, int]:
    """Count the payment against its order and sub-order: (None, the order's new paid
    count), or (the reason it cannot, 0).

    The order row is locked first (count), then the sub-order row: the same order as
    closing an order takes, so the two cannot deadlock on PostgreSQL.
    """
    if sub is None or order is None:
        security_log.warning("payment %s for unknown checkout", event.payment_ref)
        return "unknown checkout", 0
    if event.amount_minor != sub.amount_minor or event.currency != order.currency.code:
        security_log.warning(
            "payment %s amount/currency mismatch for sub-order %s", event.payment_ref, sub.id
        )
        return "amount mismatch", 0
    paid_count = await tx.orders.count_paid(order.id, sub.amount_minor, now)
    if paid_count is None:
        return _why_not(await tx.orders.get_order(order.id) or order, now), 0
    if not await tx.sub_orders.mark_sub_paid(sub.id, event.checkout_ref, now):
        await tx.orders.uncount_paid(order.id, sub.amount_minor)
        return "reservation no longer held", 0
    return None, paid_count


_TEXT_FIELDS = (
    "event_id",
    "checkout_ref",
    "payment_ref",
    "currency",
    "sub_order_id",
    "payer_ref",
    "payer_name",
)


def check_event(event: GatewayEvent) -> None:
    """Refuse an event no store could hold, whatever the gateway: WebhookRejected (a 4xx).

    Its amount is a whole number 0 to MAX_MINOR (BIGINT), its currency a 3-letter code,
    its text storable (core.domain.text). Refused before the transaction: as a 503 (the database
    failing on it), the gateway would deliver it again for ever.
    """
    amount = event.amount_minor
    if not isinstance(amount, int) or isinstance(amount, bool) or not 0 <= amount <= MAX_MINOR:
        raise WebhookRejected("event field 'amount_minor' is out of range")
    for name in _TEXT_FIELDS:
        value = getattr(event, name)
        if value is not None and not is_storable(value):
            raise WebhookRejected(f"event field {name!r} is not valid text")
    code = event.currency
    if event.kind != GatewayEventKind.IGNORED and not (
        len(code) == 3 and code.isascii() and code.isalpha()
    ):
        raise WebhookRejected("event field 'currency' is not a currency code")


def _held(order: Order | None) -> PaymentStatus:
    """The status of a counted authorisation. Mode `all` holds the money until every part
    is in. Mode `keep` never captures later, so an authorisation there (a gateway that
    held the money though the checkout asked to take it) is captured at once: the payer
    meant it for the payee and the part counts as paid; voiding it instead would ask the
    payer to pay again for a part the group already sees paid."""
    if order is not None and order.mode == Mode.KEEP:
        return PaymentStatus.CAPTURE_PENDING
    return PaymentStatus.AUTHORISED


def _why_not(order: Order, now: datetime) -> str:
    if order.state != OrderState.OPEN:
        return f"order {order.state}"
    return "order expired" if order.expires_at <= now else "order full"


async def _sub_order_of(tx: Tx, event: GatewayEvent) -> SubOrder | None:
    """The sub-order a payment is for: by its checkout, else by the signed metadata.

    The checkout of a lapsed hold is no longer on the sub-order, but the money is still
    for that order, and the payer must hear why it comes back.
    """
    sub = await tx.sub_orders.sub_order_for_checkout(event.gateway, event.checkout_ref)
    if sub is None and event.sub_order_id:
        sub = await tx.sub_orders.get_sub_order(SubOrderId(event.sub_order_id))
    return sub
