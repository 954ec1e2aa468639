"""Bank transfers into the payee's own account: references, claims and their confirmation.

A payer who chooses the payee's own method holds a part as usual and gets a transfer reference
(core.domain.methods). After paying in their banking app they claim the part: it is held, not
counted, until the payee confirms or denies it or the order ends. A confirmed transfer (by the
payee, or matched from their bank statement: core.usecases.payments.statements) counts like a
gateway's payment, under the same exactly-N guard (orders.count_paid); one that cannot count any
more (the order is full or over, the part was let go) is recorded as owed back by hand.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

from core.domain.errors import (
    AlreadyPaid,
    Conflict,
    NotAllowed,
    NotFound,
    NotHeld,
    OrderClosed,
    Unsupported,
)
from core.domain.events import SubOrderPaid, TransferClaimed, TransferDenied
from core.domain.holds import not_yours, opens
from core.domain.ledger.entries import EntryKind, paid_draft
from core.domain.methods import (
    KIND_CURRENCY,
    KIND_LABEL,
    Instructions,
    PayeeMethod,
    Transfer,
    instructions,
    reference_from_token,
)
from core.domain.model import (
    MethodKind,
    Mode,
    Order,
    OrderId,
    OrderState,
    PayeeId,
    Payment,
    PaymentId,
    PaymentStatus,
    Settled,
    SubOrder,
    SubOrderState,
)
from core.domain.money import Money
from core.domain.payers import TELEGRAM, printable_ref
from core.domain.payqr.rf import compact
from core.domain.payqr.upi import check_utr
from core.ports.store import Tx
from core.usecases.deps import Deps, UseCases
from core.usecases.payments.bookings import book_payment, owed_event, payer_of
from core.usecases.payments.close import Aftermath, close, let_own_go
from core.usecases.payments.funds import code_counted
from core.usecases.payments.gateway_calls import GatewayCalls

log = logging.getLogger(__name__)

MAX_CLAIMS = 200  # a payee's list of claims to decide
MAX_PAYER_REF = 80
CONFIRMED = "confirmed by the payee"


@dataclass(frozen=True, slots=True)
class Claim:
    """A transfer a payer says they made, waiting for the payee."""

    transfer: Transfer
    order: Order


@dataclass(frozen=True, slots=True)
class OwedReturn:
    """A payment the payee must give back by hand, with what names it to them."""

    payment: Payment
    order_title: str
    payer_name: str | None


def transfer_unfit(order: Order, kind: MethodKind) -> Unsupported | None:
    """Why a transfer of this kind cannot pay this order, or None if it can (as
    core.usecases.reservations.unfit says it of a gateway)."""
    label = KIND_LABEL[kind]
    if order.mode == Mode.ALL:
        return Unsupported(
            "this order charges only when everyone has paid (mode all), and a bank "
            f"transfer cannot be held or given back by Chipin; {label} is not offered here",
            gateway=kind.value,
            reason="mode_all",
        )
    if order.currency.code != KIND_CURRENCY[kind]:
        return Unsupported(
            f"{label} takes only {KIND_CURRENCY[kind]}, and this order is in "
            f"{order.currency.code}; choose another payment method",
            gateway=kind.value,
            reason="currency",
        )
    return None


def paying_by_transfer(sub: SubOrder) -> NotAllowed:
    return NotAllowed(
        f"you chose to pay this part by {sub.gateway} transfer (reference {sub.transfer_ref}); "
        "pay it that way, or let your part go and choose again",
        reason="transfer",
    )


class Transfers(UseCases):
    """Transfer references, claims, and the payee's confirmations and denials."""

    def __init__(self, deps: Deps, calls: GatewayCalls) -> None:
        super().__init__(deps)
        self._calls = calls

    async def method_for(self, order: Order, kind: MethodKind) -> PayeeMethod:
        """The payee's method of this kind, if it can take this order's payments."""
        refusal = transfer_unfit(order, kind)
        if refusal is not None:
            raise refusal
        async with self._d.store.transaction() as tx:
            method = await tx.methods.method_of_kind(order.payee_id, kind)
        if method is None:
            raise Unsupported(
                f"the payee takes no {KIND_LABEL[kind]} payments; choose another payment method",
                gateway=kind.value,
                reason="method",
            )
        return method

    async def methods_for_order(self, order: Order) -> list[PayeeMethod]:
        """The payee's own methods a payer of this order may choose."""
        async with self._d.store.transaction() as tx:
            found = await tx.methods.methods_of(order.payee_id)
        return [m for m in found if transfer_unfit(order, m.kind) is None]

    async def open_transfer(
        self, order: Order, sub: SubOrder, method: PayeeMethod
    ) -> tuple[SubOrder, str]:
        """The hold's transfer reference: the one it has, or a new one kept for good."""
        if sub.transfer_ref is not None:
            if sub.gateway != method.kind.value:
                raise paying_by_transfer(sub)
            return sub, sub.transfer_ref
        if sub.checkout_ref is not None:
            raise NotAllowed(
                f"you opened a {sub.gateway} checkout for this part; pay there, or let your "
                "part go and choose again",
                reason="checkout",
            )
        d = self._d
        for _ in range(3):
            reference = reference_from_token(d.ids.new_token())
            try:
                async with d.store.transaction() as tx:
                    if not await tx.sub_orders.set_checkout(
                        sub.id, sub.hold_seq, method.kind.value, reference, ""
                    ):
                        raise OrderClosed(
                            "your reservation ran out; please start again", state="lapsed"
                        )
                    await tx.methods.add_transfer(self._transfer(order, sub, method, reference))
                    fresh = await tx.sub_orders.get_sub_order(sub.id)
            except Conflict:
                continue  # a reference taken already (1 in 2**50): draw another
            if fresh is None:
                raise NotFound("no such part")
            return fresh, reference
        raise Conflict("could not draw a free transfer reference; try again")

    def _transfer(
        self, order: Order, sub: SubOrder, method: PayeeMethod, reference: str
    ) -> Transfer:
        if sub.payer_ref is None:
            raise NotHeld("this part is not held")
        return Transfer(
            reference=reference,
            order_id=order.id,
            sub_order_id=sub.id,
            payee_id=order.payee_id,
            kind=method.kind,
            amount_minor=sub.amount_minor,
            currency=order.currency.code,
            payer_ref=sub.payer_ref,
            issued_at=self._d.clock.now(),
            payer_name=sub.payer_name,
        )

    async def transfer_instructions(self, token: str, reference: str) -> Instructions:
        """How to pay the transfer with this reference, for whoever has the order's link and
        the reference (its QR image, shown again): NotFound if the two do not go together or
        the payee removed the method since."""
        async with self._d.store.transaction() as tx:
            order = await tx.orders.get_order_by_token(token)
            transfer = await tx.methods.get_transfer(compact(reference)[:32])
            if order is None or transfer is None or transfer.order_id != order.id:
                raise NotFound("no such transfer")
            method = await tx.methods.method_of_kind(order.payee_id, transfer.kind)
        if method is None:
            raise NotFound("the payee removed this payment method")
        amount = Money(transfer.amount_minor, order.currency)
        return instructions(method, amount, transfer.reference, order.title)

    async def claim_transfer(
        self,
        token: str,
        payer_ref: str,
        *,
        utr: str | None = None,
        hold_secret: str | None = None,
    ) -> Transfer:
        """The payer says they paid their part by transfer: the part is claimed, held until
        the payee decides or the order ends. Saying it again changes nothing. UPI claims
        carry the payer's 12-digit UTR (only the payer's bank can confirm a UPI payment)."""
        d = self._d
        ref = printable_ref(payer_ref, MAX_PAYER_REF)
        now = d.clock.now()
        out = Aftermath()
        async with out.transaction(d.store, now) as tx:
            order = await tx.orders.get_order_by_token(token)
            if order is None:
                raise NotFound("no such order")
            mine = await tx.sub_orders.find_payer_sub_order(order.id, ref)
            if mine is None or mine.transfer_ref is None:
                raise NotHeld(
                    "you hold no part of this order paid by bank transfer; choose a bank "
                    "method first"
                )
            if not opens(mine, ref, hold_secret):
                raise not_yours()
            if mine.state == SubOrderState.PAID:
                raise AlreadyPaid("you have already paid your part of this order")
            transfer = await tx.methods.get_transfer(mine.transfer_ref)
            if transfer is None:
                raise NotFound("no such transfer")
            if mine.state == SubOrderState.CLAIMED:
                return transfer
            if order.state != OrderState.OPEN or order.expires_at <= now:
                raise OrderClosed("this order has ended", state=order.state.value)
            code = check_utr(utr or "") if transfer.kind == MethodKind.UPI else None
            if not await tx.sub_orders.claim_part(mine.id, mine.hold_seq, order.expires_at):
                raise OrderClosed("your reservation ran out; please start again", state="lapsed")
            await tx.methods.claim_transfer(transfer.reference, now, code)
            out.events.append(
                TransferClaimed(
                    order.id,
                    now,
                    mine.id,
                    ref,
                    transfer.reference,
                    transfer.kind.value,
                    transfer.amount_minor,
                    mine.payer_name,
                    code,
                )
            )
            claimed = await tx.methods.get_transfer(transfer.reference)
        await d.publish(out.events)
        return claimed or transfer

    async def let_transfer_go(self, reference: str, payer_ref: str) -> None:
        """The payer lets go of the part they were about to pay by this transfer (before
        claiming it): free at once. Only its own payer, by their Telegram id (a web payer
        lets go by the hold secret: core.usecases.holds.release_own_hold)."""
        d = self._d
        now = d.clock.now()
        out = Aftermath()
        async with out.transaction(d.store, now) as tx:
            transfer = await tx.methods.get_transfer(compact(reference)[:32])
            if transfer is None or not payer_ref.startswith(TELEGRAM):
                raise NotFound("no such transfer")
            if transfer.payer_ref != payer_ref:
                raise not_yours()
            sub = await tx.sub_orders.get_sub_order(transfer.sub_order_id)
            if sub is None or sub.checkout_ref != transfer.reference:
                raise NotHeld("this part is no longer held for this transfer")
            await let_own_go(tx, sub, now, out)
        await self._calls.after(out)

    async def confirm_transfer(self, payee_id: PayeeId, reference: str) -> Payment:
        """The payee says this transfer reached their account: it counts (or, if its part
        cannot count any more, it is owed back by hand). Saying it twice changes nothing."""
        d = self._d
        for _ in range(2):
            now = d.clock.now()
            out = Aftermath()
            try:
                async with out.transaction(d.store, now) as tx:
                    transfer = await _payees_transfer(tx, payee_id, reference)
                    payment = await settle(
                        tx, transfer, Settled.PAYEE, CONFIRMED, now, out, d.ids.new_id
                    )
            except Conflict:
                continue  # confirmed at the same time elsewhere: read that back
            await self._calls.after(out)
            return payment
        raise Conflict("this transfer changed meanwhile; try again")

    async def deny_transfer(self, payee_id: PayeeId, reference: str) -> Transfer:
        """The payee says this claimed transfer has not arrived: its part is free again and
        its payer is told."""
        d = self._d
        now = d.clock.now()
        out = Aftermath()
        async with out.transaction(d.store, now) as tx:
            transfer = await _payees_transfer(tx, payee_id, reference)
            if transfer.settled:
                raise NotAllowed("this transfer was confirmed already", reason="settled")
            sub = await tx.sub_orders.get_sub_order(transfer.sub_order_id)
            if sub is None or not transfer.waiting or not await _let_claim_go(tx, sub, transfer):
                raise NotHeld("this part is not waiting for your confirmation")
            await tx.methods.deny_transfer(transfer.reference, now)
            out.events.append(
                TransferDenied(
                    transfer.order_id,
                    now,
                    sub.id,
                    transfer.payer_ref,
                    transfer.reference,
                    transfer.amount_minor,
                )
            )
        await d.publish(out.events)
        return transfer

    async def claims_of(self, payee_id: PayeeId) -> list[Claim]:
        """The transfers payers say they made to this payee, waiting for a decision, oldest
        first: those whose part is still claimed, and those whose order ended meanwhile
        (confirmed now, their money is owed back by hand)."""
        async with self._d.store.transaction() as tx:
            waiting = await tx.methods.waiting_claims(payee_id, MAX_CLAIMS)
            orders = await _orders(tx, [t.order_id for t in waiting])
        return [Claim(t, orders[t.order_id]) for t in waiting if t.order_id in orders]

    async def owed_returns(self, payee_id: PayeeId) -> list[OwedReturn]:
        """Money the payee must return by hand (transfers that came when they could not
        count, owed refunds a gateway could not make), until each is marked returned."""
        found = []
        async with self._d.store.transaction() as tx:
            owed = await tx.payments.owed_refunds(payee_id, MAX_CLAIMS)
            orders = await _orders(tx, [p.order_id for p in owed if p.order_id])
            for p in owed:
                order = orders.get(p.order_id) if p.order_id else None
                payer = await payer_of(tx, p)
                title = order.title if order is not None else ""
                found.append(OwedReturn(p, title, payer[1] if payer else None))
        return found


async def _orders(tx: Tx, order_ids: list[OrderId]) -> dict[OrderId, Order]:
    """These orders by id, in one read."""
    return {o.id: o for o in await tx.records.orders_by_id(order_ids)}


async def _let_claim_go(tx: Tx, sub: SubOrder, t: Transfer) -> bool:
    """A denied claim: its part free again; one whose order ended stays closed."""
    if sub.checkout_ref != t.reference:
        return False
    if sub.state == SubOrderState.CLOSED:
        return True
    return await tx.sub_orders.release_claim(sub.id, t.reference)


async def _payees_transfer(tx: Tx, payee_id: PayeeId, reference: str) -> Transfer:
    transfer = await tx.methods.get_transfer(compact(reference)[:32])
    if transfer is None or transfer.payee_id != payee_id:
        raise NotFound("no transfer of yours has this reference")
    return transfer


async def settle(
    tx: Tx,
    transfer: Transfer,
    settled: Settled,
    note: str,
    now: datetime,
    out: Aftermath,
    new_id: Callable[[str], str],
) -> Payment:
    """Record the money of a transfer that reached the payee: counted if its part may still
    count (the exactly-N guard: orders.count_paid, then sub_orders.mark_sub_paid, the lock order
    settlement takes), else owed back by hand. Once per transfer: a second call returns the
    payment the first recorded."""
    if transfer.payment_id is not None:
        known = await tx.payments.get_payment_by_id(transfer.payment_id)
        if known is not None:
            return known
    order = await tx.orders.get_order(transfer.order_id)
    if order is None:
        raise NotFound("no such order")
    sub = await tx.sub_orders.get_sub_order(transfer.sub_order_id)
    reason, paid_count = await _count(tx, transfer, order, sub, now)
    payment = _payment(
        transfer,
        PaymentId(new_id("pmt")),
        transfer.reference,
        now,
        settled,
        reason or note,
        counted=reason is None,
    )
    if not await tx.payments.add_payment(payment):
        raise Conflict("this transfer was recorded meanwhile; try again")
    await tx.methods.settle_transfer(transfer.reference, payment.id)
    if reason is None and sub is not None:
        tx.ledger.append_ledger(paid_draft(order, sub, payment, now))
        await code_counted(tx, order, sub.amount_minor, now, out.events)
        out.events.append(
            SubOrderPaid(
                order.id,
                now,
                sub.id,
                transfer.payer_ref,
                sub.amount_minor,
                paid_count,
                payment.id,
                transfer.kind.value,
                settled.value,
            )
        )
        if paid_count == order.n:
            await close(tx, order, (OrderState.OPEN,), OrderState.COMPLETED, now, out)
        return payment
    await _owe(tx, transfer, order, payment, now, out)
    return payment


async def settle_again(
    tx: Tx,
    transfer: Transfer,
    line_hash: str,
    now: datetime,
    out: Aftermath,
    new_id: Callable[[str], str],
) -> Payment:
    """A second payment with the reference of a transfer already paid (a statement's second
    line for it): it cannot count, so it is owed back by hand, under its line's hash."""
    order = await tx.orders.get_order(transfer.order_id)
    if order is None:
        raise NotFound("no such order")
    ref = f"{transfer.reference}/{line_hash}"
    payment = _payment(
        transfer, PaymentId(new_id("pmt")), ref, now, Settled.STATEMENT, "paid twice", counted=False
    )
    if not await tx.payments.add_payment(payment):
        raise Conflict("this statement line was recorded meanwhile; try again")
    await _owe(tx, transfer, order, payment, now, out)
    return payment


def _payment(
    transfer: Transfer,
    payment_id: PaymentId,
    payment_ref: str,
    now: datetime,
    settled: Settled,
    reason: str,
    *,
    counted: bool,
) -> Payment:
    """A transfer's money as a payment: counted (captured: it is in the payee's account),
    or owed back by hand."""
    return Payment(
        id=payment_id,
        gateway=transfer.kind.value,
        payment_ref=payment_ref,
        checkout_ref=transfer.reference,
        order_id=transfer.order_id,
        sub_order_id=transfer.sub_order_id,
        amount_minor=transfer.amount_minor,
        currency=transfer.currency,
        status=PaymentStatus.CAPTURED if counted else PaymentStatus.REFUND_OWED,
        counted=counted,
        reason=reason,
        created_at=now,
        updated_at=now,
        settled_by=settled,
    )


async def _owe(
    tx: Tx, transfer: Transfer, order: Order, payment: Payment, now: datetime, out: Aftermath
) -> None:
    """Book money that reached the payee and cannot count, and tell them to return it."""
    payer = (transfer.payer_ref, transfer.payer_name)
    await book_payment(tx, EntryKind.PAYMENT_LATE, payment, now, payment.reason, payer)
    out.events.append(owed_event(order, payment, payment.reason, now, payer))
    log.info("transfer for order %s came when it could not count: owed back", order.id)


async def _retaken(
    tx: Tx, transfer: Transfer, order: Order, sub: SubOrder, now: datetime
) -> SubOrder | None:
    """The transfer's part, free since its hold lapsed and taken by nobody: held again for
    its payer, so their money counts instead of going back (unless they hold another part
    of the order now)."""
    if await tx.sub_orders.find_payer_sub_order(order.id, transfer.payer_ref) is not None:
        return None
    return await tx.sub_orders.retake_part(
        sub.id,
        transfer.payer_ref,
        transfer.payer_name,
        transfer.kind.value,
        transfer.reference,
        now,
    )


async def _count(
    tx: Tx, transfer: Transfer, order: Order, sub: SubOrder | None, now: datetime
) -> tuple[str | None, int]:
    """(None, the order's new paid count) if the transfer's part counts now; else why not."""
    held = (SubOrderState.RESERVED, SubOrderState.CLAIMED)
    if sub is not None and sub.state == SubOrderState.AVAILABLE and order.state == OrderState.OPEN:
        sub = await _retaken(tx, transfer, order, sub, now) or sub
    if sub is None or sub.checkout_ref != transfer.reference or sub.state not in held:
        if order.state != OrderState.OPEN:
            return f"order {order.state}", 0
        return "its part was let go before the money came", 0
    paid_count = await tx.orders.count_paid(order.id, sub.amount_minor, now)
    if paid_count is None:
        fresh = await tx.orders.get_order(order.id) or order
        if fresh.state != OrderState.OPEN:
            return f"order {fresh.state}", 0
        return "order expired" if fresh.expires_at <= now else "order full", 0
    if not await tx.sub_orders.mark_sub_paid(sub.id, transfer.reference, now):
        await tx.orders.uncount_paid(order.id, sub.amount_minor)
        return "its part was let go before the money came", 0
    return None, paid_count
