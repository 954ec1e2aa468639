"""Gateway events after the money came in: declines, and captures, refunds or voids confirmed."""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime

from core.domain.errors import Unavailable
from core.domain.events import SubOrderRefunded
from core.domain.ledger.entries import EntryKind
from core.domain.model import Mode, OrderState, Payment, PaymentStatus, SubOrderId, SubOrderState
from core.ports.store import GatewayEvent, GatewayEventKind, Tx
from core.usecases.deps import Outcome
from core.usecases.payments.bookings import book_payment, move_payment
from core.usecases.payments.close import Aftermath, let_go


async def declined(tx: Tx, event: GatewayEvent, now: datetime, out: Aftermath) -> Outcome:
    """A declined payment frees the reservation for someone else (or for a retry).

    The checkout is closed at the gateway: a second try on it could no longer count, and
    money taken on it with its webhook lost would be out of reconciliation's reach.
    """
    sub = await tx.sub_orders.sub_order_for_checkout(event.gateway, event.checkout_ref)
    if sub is None or sub.state != SubOrderState.RESERVED:
        return Outcome.IGNORED
    return Outcome.APPLIED if await let_go(tx, sub, now, out) else Outcome.IGNORED


_MOVES = {
    GatewayEventKind.CAPTURED: (
        (PaymentStatus.AUTHORISED, PaymentStatus.CAPTURE_PENDING),
        PaymentStatus.CAPTURED,
    ),
    GatewayEventKind.REFUNDED: (
        (PaymentStatus.REFUND_PENDING, PaymentStatus.CAPTURED),
        PaymentStatus.REFUNDED,
    ),
    # CAPTURE_PENDING too: an authorisation voided (or expired) before our capture went
    # through can never be captured; its part goes back like any voided outside.
    GatewayEventKind.VOIDED: (
        (PaymentStatus.VOID_PENDING, PaymentStatus.AUTHORISED, PaymentStatus.CAPTURE_PENDING),
        PaymentStatus.VOIDED,
    ),
}

# A counted payment in one of these still counted for its order until the gateway gave it back.
_STILL_KEPT = (PaymentStatus.CAPTURED, PaymentStatus.AUTHORISED, PaymentStatus.CAPTURE_PENDING)


# Events that can overtake the news they follow (gateways do not promise order): a capture
# or refund of a payment not recorded yet, a refund of one whose capture is not. Applying
# them out of order would lose them; refused, the gateway delivers them again later.
_AHEAD: dict[GatewayEventKind, tuple[PaymentStatus, ...]] = {
    GatewayEventKind.CAPTURED: (),
    GatewayEventKind.REFUNDED: (
        PaymentStatus.AUTHORISED,
        PaymentStatus.CAPTURE_PENDING,
        PaymentStatus.VOID_PENDING,
    ),
}


def _too_early(event: GatewayEvent) -> Unavailable:
    return Unavailable(
        f"{event.kind} of payment {event.payment_ref} came before the news it follows; "
        "deliver it again later",
        payment_ref=event.payment_ref,
    )


async def _for_a_part(tx: Tx, event: GatewayEvent) -> bool:
    """Is the event's checkout one of Chipin's (so its payment will be reported too)?"""
    if await tx.sub_orders.sub_order_for_checkout(event.gateway, event.checkout_ref) is not None:
        return True
    sub_id = event.sub_order_id
    return bool(sub_id) and await tx.sub_orders.get_sub_order(SubOrderId(sub_id or "")) is not None


async def _held_by_a_part(tx: Tx, event: GatewayEvent) -> bool:
    """Is the event's checkout a reservation's now (money on it could still count)?

    A checkout closed unpaid is reported voided by some gateways (Stripe: canceled); its
    part is no longer reserved with it, so nothing is remembered for it.
    """
    sub = await tx.sub_orders.sub_order_for_checkout(event.gateway, event.checkout_ref)
    return sub is not None and sub.state == SubOrderState.RESERVED


async def money_moved(tx: Tx, event: GatewayEvent, now: datetime, out: Aftermath) -> Outcome:
    """Captured, refunded or voided at the gateway: confirm our pending step, or record it."""
    p = await tx.payments.get_payment(event.gateway, event.payment_ref)
    if p is None:
        if event.kind in _AHEAD and await _for_a_part(tx, event):
            raise _too_early(event)
        if event.kind == GatewayEventKind.VOIDED and await _held_by_a_part(tx, event):
            # It overtook its authorisation: remembered, so that one is not counted.
            await tx.checkouts.note_early_void(event.gateway, event.payment_ref, now)
        return Outcome.IGNORED
    if p.status in _AHEAD.get(event.kind, ()):
        raise _too_early(event)
    if event.kind == GatewayEventKind.CAPTURED and p.status == PaymentStatus.VOID_PENDING:
        return await _captured_before_void(tx, p, now, out)
    from_, to = _MOVES[event.kind]
    moved_from = await _move_from_current(tx, p, from_, to, now)
    if moved_from is None:
        # A cancel made it void_pending after we read it (PostgreSQL, READ COMMITTED).
        fresh = await tx.payments.get_payment_by_id(p.id)
        voiding = fresh is not None and fresh.status == PaymentStatus.VOID_PENDING
        if event.kind == GatewayEventKind.CAPTURED and fresh is not None and voiding:
            return await _captured_before_void(tx, fresh, now, out)
        return Outcome.IGNORED
    gave_back = to != PaymentStatus.CAPTURED
    if gave_back and p.counted and moved_from in _STILL_KEPT:
        await _given_back_outside(tx, replace(p, status=moved_from), now, out)
    return Outcome.APPLIED


async def _captured_before_void(tx: Tx, p: Payment, now: datetime, out: Aftermath) -> Outcome:
    """We wanted to void, but the capture went through first: give the money back instead."""
    if not await tx.payments.set_payment_status(
        p.id, [p.status], PaymentStatus.REFUND_PENDING, now
    ):
        return Outcome.IGNORED
    await book_payment(tx, EntryKind.PAYMENT_CAPTURED, p, now)  # money moved: book it
    moved = await tx.payments.get_payment_by_id(p.id)
    if moved is not None:
        out.drive.append(moved)
    return Outcome.APPLIED


async def _move_from_current(
    tx: Tx, p: Payment, from_: tuple[PaymentStatus, ...], to: PaymentStatus, now: datetime
) -> PaymentStatus | None:
    """Move `p` to `to` from the status it really has; that status, or None if it may not.

    `p` may have been read before another transaction moved it (a cancel made it
    refund_pending and counted the refund): on PostgreSQL the UPDATE waits for that one,
    then finds another status. Judging by the stale one would count the refund twice.
    """
    for _ in range(2):
        if p.status not in from_:
            return None
        if await move_payment(tx, p, [p.status], to, now):
            return p.status
        fresh = await tx.payments.get_payment_by_id(p.id)
        if fresh is None:
            return None
        p = fresh
    return None


async def _given_back_outside(tx: Tx, p: Payment, now: datetime, out: Aftermath) -> None:
    """The payee refunded or voided at the gateway itself: record it against the order.

    An authorisation voided while a mode-`all` order is still open no longer holds any
    money, so its part is offered again: the order can then only complete with N real
    authorisations, never capture fewer.
    """
    if p.order_id is None or p.sub_order_id is None:
        return
    order = await tx.orders.get_order(p.order_id)
    if (
        order is not None
        and order.mode == Mode.ALL
        and order.state == OrderState.OPEN
        and p.status == PaymentStatus.AUTHORISED
    ):
        await tx.orders.uncount_paid(order.id, p.amount_minor)
        await tx.sub_orders.reopen_sub_order(p.sub_order_id)
        return
    sub = await tx.sub_orders.get_sub_order(p.sub_order_id)
    await tx.sub_orders.set_sub_state(p.sub_order_id, SubOrderState.PAID, SubOrderState.REFUNDED)
    await tx.orders.add_refunded_amount(p.order_id, p.amount_minor)
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
