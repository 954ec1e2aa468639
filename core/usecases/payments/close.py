"""Ending an order (complete, expire, cancel) and unwinding what must go back, in one tx."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field, replace
from datetime import datetime

from core.domain.errors import AlreadyPaid, NotHeld, invariant
from core.domain.events import (
    ClaimCutShort,
    DomainEvent,
    HoldReleased,
    OrderClosed,
    SubOrderRefunded,
)
from core.domain.ledger.entries import order_draft
from core.domain.model import (
    CheckoutRef,
    Mode,
    Order,
    OrderState,
    Payment,
    PaymentStatus,
    SubOrder,
    SubOrderState,
)
from core.ports.store import Store, Tx
from core.usecases.payments.bookings import owed_event


@dataclass(slots=True)
class Aftermath:
    """What a transaction leaves for after its commit: events and gateway work."""

    events: list[DomainEvent] = field(default_factory=list)
    drive: list[Payment] = field(default_factory=list)
    cancel_checkouts: list[CheckoutRef] = field(default_factory=list)  # loose ones
    refunded: list[Payment] = field(default_factory=list)

    @asynccontextmanager
    async def transaction(self, store: Store, now: datetime) -> AsyncIterator[Tx]:
        """A transaction that writes these events into the outbox before it commits, so the
        message about a change cannot be separated from the change (core.domain.outbox)."""
        async with store.transaction() as tx:
            yield tx
            await tx.outbox.add_events(self.events, now)


_GIVE_BACK = {
    PaymentStatus.AUTHORISED: PaymentStatus.VOID_PENDING,
    # mode `all`, completed, capture not made yet: void the authorisation instead
    PaymentStatus.CAPTURE_PENDING: PaymentStatus.VOID_PENDING,
    PaymentStatus.CAPTURED: PaymentStatus.REFUND_PENDING,
}


async def give_back(tx: Tx, order: Order, reason: str, now: datetime, out: Aftermath) -> None:
    """Refund every captured payment of the order and void every authorised one."""
    for p in await tx.payments.payments_of_order(order.id):
        to = await _start_giving_back(tx, p, now)
        if to is None:
            continue
        sub = await tx.sub_orders.get_sub_order(p.sub_order_id) if p.sub_order_id else None
        if sub is not None:
            await tx.sub_orders.set_sub_state(sub.id, SubOrderState.PAID, SubOrderState.REFUNDED)
        await tx.orders.add_refunded_amount(order.id, p.amount_minor)
        out.events.append(
            SubOrderRefunded(
                order.id,
                now,
                p.sub_order_id,
                sub.payer_ref if sub else None,
                p.amount_minor,
                reason,
            )
        )
        moved = replace(p, status=to, updated_at=now)
        out.refunded.append(moved)
        if to == PaymentStatus.REFUND_OWED:  # money in the payee's own account: by hand
            payer = (sub.payer_ref, sub.payer_name) if sub and sub.payer_ref else None
            out.events.append(owed_event(order, moved, reason, now, payer))
        else:
            out.drive.append(moved)


async def _start_giving_back(tx: Tx, p: Payment, now: datetime) -> PaymentStatus | None:
    """Make a counted payment refund_pending or void_pending; the status it got, or None.

    `p` may have been read just before a concurrent transaction moved it (PostgreSQL, READ
    COMMITTED: a capture confirmed meanwhile): then the status it has now decides. One
    given back outside meanwhile (refunded, voided) needs nothing more: its event did that.
    """
    for _ in range(2):
        to = _GIVE_BACK.get(p.status)
        if not p.counted or to is None:
            return None
        if p.direct:  # a transfer into the payee's own account: only they can return it
            to = PaymentStatus.REFUND_OWED
        if await tx.payments.set_payment_status(p.id, [p.status], to, now):
            return to
        fresh = await tx.payments.get_payment_by_id(p.id)
        if fresh is None:
            return None
        p = fresh
    return None


async def close(
    tx: Tx,
    order: Order,
    from_: tuple[OrderState, ...],
    to: OrderState,
    now: datetime,
    out: Aftermath,
) -> bool:
    """Move the order to `to`; close its open sub-orders; unwind money where the rules say."""
    if not await tx.orders.close_order(order.id, from_, to, now):
        return False
    released = await tx.sub_orders.close_open_sub_orders(order.id)
    for sub in released:
        await loosen(tx, sub.checkout(), now, out)
        await _cut_short(tx, sub, now, out)
    if to == OrderState.CANCELLED:
        await give_back(tx, order, "cancelled", now, out)
    elif to == OrderState.EXPIRED and order.mode == Mode.ALL:
        await give_back(tx, order, "expired short of all payers", now, out)
    elif to == OrderState.COMPLETED and order.mode == Mode.ALL:
        await capture_all(tx, order, now, out)
    closed = await tx.orders.get_order(order.id)
    invariant(closed is not None and closed.state == to, "order did not close")
    if closed is not None:
        tx.ledger.append_ledger(order_draft(closed, now))
        out.events.append(
            OrderClosed(
                order.id, now, to, closed.paid_count, closed.paid_minor, closed.refunded_minor
            )
        )
    return True


async def _cut_short(tx: Tx, sub: SubOrder, now: datetime, out: Aftermath) -> None:
    """A part closed while its transfer claim waited for the payee: both are told (the
    claim stays on the payee's list until they decide)."""
    reference = sub.transfer_ref
    t = await tx.methods.get_transfer(reference) if reference is not None else None
    if t is None or not t.waiting:
        return
    out.events.append(
        ClaimCutShort(
            sub.order_id,
            now,
            sub.id,
            t.payer_ref,
            t.reference,
            t.kind.value,
            t.amount_minor,
            t.payer_name,
        )
    )


async def loosen(tx: Tx, checkout: CheckoutRef | None, now: datetime, out: Aftermath) -> None:
    """Its reservation is gone, so nobody may pay this checkout now: remember it, and close it
    at the gateway after the commit. Reconciliation retries until the gateway confirmed.
    """
    if checkout is None:
        return
    await tx.checkouts.add_loose_checkout(checkout, now)
    out.cancel_checkouts.append(checkout)


async def let_go(
    tx: Tx, sub: SubOrder, now: datetime, out: Aftermath, *, by_payee: bool = False
) -> bool:
    """Free a held part at once (reserved -> available, if it is still this reservation);
    its checkout is loosened, so it is closed at the gateway after the commit and a payment
    that got in before is refunded, never lost. False if the hold had gone meanwhile.
    `by_payee`: the payee let it go, and its payer is told."""
    if not await tx.sub_orders.release_hold(sub.id, sub.hold_seq):
        return False
    await loosen(tx, sub.checkout(), now, out)
    out.events.append(HoldReleased(sub.order_id, now, sub.id, sub.payer_ref or "", by_payee))
    return True


async def let_own_go(tx: Tx, sub: SubOrder, now: datetime, out: Aftermath) -> None:
    """The payer lets their own hold go: AlreadyPaid for a paid part, NotHeld for one that is
    not (or no longer) reserved."""
    if sub.state == SubOrderState.PAID:
        raise AlreadyPaid("this part is paid; there is no hold to release")
    if sub.state != SubOrderState.RESERVED or not await let_go(tx, sub, now, out):
        raise NotHeld(f"this hold has ended: the part is {sub.state}", state=sub.state.value)


async def capture_all(tx: Tx, order: Order, now: datetime, out: Aftermath) -> None:
    """Mode `all`: every authorised payment becomes a capture to make, now that N are in."""
    for p in await tx.payments.payments_of_order(order.id):
        if p.counted and p.status == PaymentStatus.AUTHORISED:
            await tx.payments.set_payment_status(
                p.id, [p.status], PaymentStatus.CAPTURE_PENDING, now
            )
            updated = await tx.payments.get_payment_by_id(p.id)
            if updated is not None:
                out.drive.append(updated)
