"""Gateway events after the money came in: declines, and captures, refunds or voids confirmed."""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime

from core.booking import book_payment, move_payment
from core.closing import Aftermath
from core.deps import Outcome
from core.events import HoldReleased, SubOrderRefunded
from core.ledger import EntryKind
from core.model import Mode, OrderState, Payment, PaymentStatus, SubOrderState
from core.ports import GatewayEvent, GatewayEventKind, Tx


async def declined(tx: Tx, event: GatewayEvent, now: datetime, out: Aftermath) -> Outcome:
    """A declined payment frees the reservation for someone else (or for a retry)."""
    sub = await tx.sub_order_for_checkout(event.gateway, event.checkout_ref)
    if sub is None or sub.state != SubOrderState.RESERVED:
        return Outcome.IGNORED
    if not await tx.release_hold(sub.id, sub.hold_seq):
        return Outcome.IGNORED
    out.events.append(HoldReleased(sub.order_id, now, sub.id, sub.payer_ref or ""))
    return Outcome.APPLIED


_MOVES = {
    GatewayEventKind.CAPTURED: (
        (PaymentStatus.AUTHORISED, PaymentStatus.CAPTURE_PENDING),
        PaymentStatus.CAPTURED,
    ),
    GatewayEventKind.REFUNDED: (
        (PaymentStatus.REFUND_PENDING, PaymentStatus.CAPTURED),
        PaymentStatus.REFUNDED,
    ),
    GatewayEventKind.VOIDED: (
        (PaymentStatus.VOID_PENDING, PaymentStatus.AUTHORISED),
        PaymentStatus.VOIDED,
    ),
}


async def money_moved(tx: Tx, event: GatewayEvent, now: datetime, out: Aftermath) -> Outcome:
    """Captured, refunded or voided at the gateway: confirm our pending step, or record it."""
    p = await tx.get_payment(event.gateway, event.payment_ref)
    if p is None:
        return Outcome.IGNORED
    if event.kind == GatewayEventKind.CAPTURED and p.status == PaymentStatus.VOID_PENDING:
        # We wanted to void, but the capture went through first: give the money back instead.
        if not await tx.set_payment_status(p.id, [p.status], PaymentStatus.REFUND_PENDING, now):
            return Outcome.IGNORED
        await book_payment(tx, EntryKind.PAYMENT_CAPTURED, p, now)  # money moved: book it
        moved = await tx.get_payment_by_id(p.id)
        if moved is not None:
            out.drive.append(moved)
        return Outcome.APPLIED
    from_, to = _MOVES[event.kind]
    moved_from = await _move_from_current(tx, p, from_, to, now)
    if moved_from is None:
        return Outcome.IGNORED
    gave_back = to != PaymentStatus.CAPTURED
    if gave_back and p.counted and moved_from in (PaymentStatus.CAPTURED, PaymentStatus.AUTHORISED):
        await _given_back_outside(tx, replace(p, status=moved_from), now, out)
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
        fresh = await tx.get_payment_by_id(p.id)
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
    order = await tx.get_order(p.order_id)
    if (
        order is not None
        and order.mode == Mode.ALL
        and order.state == OrderState.OPEN
        and p.status == PaymentStatus.AUTHORISED
    ):
        await tx.uncount_paid(order.id, p.amount_minor)
        await tx.reopen_sub_order(p.sub_order_id)
        return
    sub = await tx.get_sub_order(p.sub_order_id)
    await tx.set_sub_state(p.sub_order_id, SubOrderState.PAID, SubOrderState.REFUNDED)
    await tx.add_refunded_amount(p.order_id, p.amount_minor)
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
