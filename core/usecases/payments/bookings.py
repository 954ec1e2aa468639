"""Booking money events into the ledger, inside the transaction that makes them."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from core.domain.events import RefundOwed
from core.domain.ledger.entries import PAYMENT_KINDS, EntryKind, payment_draft
from core.domain.model import Order, Payment, PaymentStatus
from core.ports.store import Tx


async def book_payment(
    tx: Tx,
    kind: EntryKind,
    p: Payment,
    now: datetime,
    note: str = "",
    payer: tuple[str, str | None] | None = None,
) -> None:
    """One entry for money that moved for payment `p` (its order and payer looked up).

    An uncounted payment names the payer the gateway reported: `payer` when it is new,
    else the one its earlier entry names.
    """
    order = await tx.orders.get_order(p.order_id) if p.order_id else None
    sub = await tx.sub_orders.get_sub_order(p.sub_order_id) if p.sub_order_id else None
    if payer is None and not p.counted:
        payer = await late_payer(tx, p)
    tx.ledger.append_ledger(payment_draft(kind, p, order, sub, now, note, payer))


async def late_payer(tx: Tx, p: Payment) -> tuple[str, str | None] | None:
    """Who made an uncounted payment (reference, name), as its ledger entries name them."""
    for entry in await tx.ledger.ledger_entries_of_payment(p.id):
        if entry.payer_commitment is None:
            continue
        secret = await tx.ledger.payer_secret(entry.index)
        if secret is not None:
            return secret.payer_ref, secret.payer_name
    return None


async def move_payment(
    tx: Tx, p: Payment, from_: Sequence[PaymentStatus], to: PaymentStatus, now: datetime
) -> bool:
    """Change a payment's status; when that means money moved, book it in the same tx."""
    if not await tx.payments.set_payment_status(p.id, from_, to, now):
        return False
    kinds = PAYMENT_KINDS.get(to)
    if kinds is not None:
        await book_payment(tx, kinds[0] if p.counted else kinds[1], p, now)
    return True


def owed_event(
    order: Order, p: Payment, reason: str, now: datetime, payer: tuple[str, str | None] | None
) -> RefundOwed:
    """What tells the payee (and the payer, when known) that `p` must go back by hand."""
    return RefundOwed(
        order.id,
        now,
        payment_id=p.id,
        gateway=p.gateway,
        amount_minor=p.amount_minor,
        currency=p.currency,
        reason=reason,
        payer_ref=payer[0] if payer else None,
        payer_name=payer[1] if payer else None,
    )


async def payer_of(tx: Tx, p: Payment) -> tuple[str, str | None] | None:
    """Who made a payment (reference, name): a counted one's part's payer; a late one's as
    its ledger entries name them."""
    if not p.counted:
        return await late_payer(tx, p)
    sub = await tx.sub_orders.get_sub_order(p.sub_order_id) if p.sub_order_id else None
    if sub is None or sub.payer_ref is None:
        return None
    return sub.payer_ref, sub.payer_name
