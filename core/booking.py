"""Booking money events into the ledger, inside the transaction that makes them."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from core.ledger import PAYMENT_KINDS, EntryKind, payment_draft
from core.model import Payment, PaymentStatus
from core.ports import Tx


async def book_payment(tx: Tx, kind: EntryKind, p: Payment, now: datetime, note: str = "") -> None:
    """One entry for money that moved for payment `p` (its order and payer looked up)."""
    order = await tx.get_order(p.order_id) if p.order_id else None
    sub = await tx.get_sub_order(p.sub_order_id) if p.sub_order_id else None
    tx.append_ledger(payment_draft(kind, p, order, sub, now, note))


async def move_payment(
    tx: Tx, p: Payment, from_: Sequence[PaymentStatus], to: PaymentStatus, now: datetime
) -> bool:
    """Change a payment's status; when that means money moved, book it in the same tx."""
    if not await tx.set_payment_status(p.id, from_, to, now):
        return False
    kinds = PAYMENT_KINDS.get(to)
    if kinds is not None:
        await book_payment(tx, kinds[0] if p.counted else kinds[1], p, now)
    return True
