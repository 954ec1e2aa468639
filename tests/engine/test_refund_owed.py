"""Refunds a gateway cannot make (Telegram Payments in a provider's currency): owed by the payee."""

from __future__ import annotations

from dataclasses import replace

import pytest

from core.domain.errors import NotAllowed, NotFound, RefundByHand
from core.domain.events import RefundOwed
from core.domain.ledger.entries import EntryKind
from core.domain.model import OrderState, PaymentId, PaymentStatus, SubOrderState
from tests.support.harness import Rig, request


async def _late_payment(rig: Rig, *, payer_ref: str | None = None) -> tuple[str, PaymentId]:
    """A one-part order whose payment lands after it expired; (order id, payment id)."""
    payee = await rig.payee()
    view = await rig.engine.create_order(payee, request("20", 1))
    held = await rig.engine.reserve(view.order.token, "tg:7", payer_name="Bob", source="tg:7")
    assert held.sub.checkout_ref is not None
    event = rig.gateway.pay(held.sub.checkout_ref)
    if payer_ref is not None:
        event = replace(event, payer_ref=payer_ref, payer_name="Bob")
    rig.clock.at = view.order.expires_at
    rig.gateway.fail_next.append(RefundByHand("no refunds for payments to a provider"))
    assert await rig.engine.apply_event(event) == "refunding"
    payment = await rig.engine.payment_of(rig.gateway.name, event.payment_ref)
    assert payment is not None
    return view.order.id, payment.id


async def _status(rig: Rig, payment_id: PaymentId) -> PaymentStatus:
    async with rig.store.transaction() as tx:
        found = await tx.payments.get_payment_by_id(payment_id)
    assert found is not None
    return found.status


async def _kinds(rig: Rig, payment_id: PaymentId) -> list[EntryKind]:
    async with rig.store.transaction() as tx:
        return [e.kind for e in await tx.ledger.ledger_entries_of_payment(payment_id)]


async def test_a_refund_the_gateway_cannot_make_is_owed_and_never_retried(rig: Rig) -> None:
    order_id, payment_id = await _late_payment(rig)

    assert await _status(rig, payment_id) == PaymentStatus.REFUND_OWED
    for _ in range(3):
        rig.clock.advance(hours=1)
        await rig.engine.tick()
        await rig.engine.reconcile()
    assert await _status(rig, payment_id) == PaymentStatus.REFUND_OWED
    assert rig.gateway.done("refund") == []  # tried once (refused), never again
    [owed] = rig.notifier.of(RefundOwed)
    assert isinstance(owed, RefundOwed)
    assert (owed.order_id, owed.payment_id, owed.amount_minor) == (order_id, payment_id, 2000)
    assert (owed.reason, owed.payer_ref) == ("order expired", None)
    assert await _kinds(rig, payment_id) == [EntryKind.PAYMENT_LATE]  # no money moved yet


async def test_only_the_payee_marks_an_owed_refund_and_it_is_booked_once(rig: Rig) -> None:
    order_id, payment_id = await _late_payment(rig)
    stranger = await rig.payee("Mallory")
    view = await rig.engine.order_view(order_id)
    assert view is not None

    with pytest.raises(NotFound, match="no such payment"):
        await rig.engine.mark_refunded(payment_id, stranger)
    done = await rig.engine.mark_refunded(payment_id, view.order.payee_id)
    again = await rig.engine.mark_refunded(payment_id, view.order.payee_id)

    assert done.status == again.status == PaymentStatus.REFUNDED
    assert await _kinds(rig, payment_id) == [EntryKind.PAYMENT_LATE, EntryKind.LATE_REFUNDED]


async def test_a_payment_that_is_not_owed_cannot_be_marked(rig: Rig) -> None:
    payee = await rig.payee()
    view = await rig.engine.create_order(payee, request("20", 2))
    held = await rig.engine.reserve(view.order.token, "tg:7", source="tg:7")
    assert held.sub.checkout_ref is not None
    event = rig.gateway.pay(held.sub.checkout_ref)
    await rig.engine.apply_event(event)
    payment = await rig.engine.payment_of(rig.gateway.name, event.payment_ref)
    assert payment is not None
    with pytest.raises(NotAllowed, match="not waiting") as refused:
        await rig.engine.mark_refunded(payment.id, payee)
    assert refused.value.fields["status"] == "captured"


async def test_a_cancelled_orders_paid_parts_are_owed_naming_their_payers(rig: Rig) -> None:
    payee = await rig.payee()
    view = await rig.engine.create_order(payee, request("20", 2))
    held = await rig.engine.reserve(view.order.token, "tg:7", payer_name="Bob", source="tg:7")
    assert held.sub.checkout_ref is not None
    event = rig.gateway.pay(held.sub.checkout_ref)
    assert await rig.engine.apply_event(event) == "applied"
    rig.gateway.fail_next.append(RefundByHand("no refunds for payments to a provider"))

    cancelled = await rig.engine.cancel_order(view.order.id, payee)

    assert cancelled.view.order.state == OrderState.CANCELLED
    assert cancelled.view.order.refunded_minor == 1000
    [owed] = rig.notifier.of(RefundOwed)
    assert isinstance(owed, RefundOwed)
    assert (owed.payer_ref, owed.payer_name, owed.reason) == ("tg:7", "Bob", "order cancelled")
    await rig.engine.mark_refunded(owed.payment_id, payee)
    assert await _kinds(rig, PaymentId(owed.payment_id)) == [
        EntryKind.PART_PAID,
        EntryKind.PAYMENT_REFUNDED,
    ]
    assert [s.state for s in cancelled.view.subs].count(SubOrderState.REFUNDED) == 1


async def test_a_late_payer_the_gateway_named_is_in_the_ledger_sealed(rig: Rig) -> None:
    """Telegram says who paid: the late payment's entries name them (not the part's payer)."""
    _, payment_id = await _late_payment(rig, payer_ref="tg:99")
    owed = rig.notifier.of(RefundOwed)[0]
    assert isinstance(owed, RefundOwed)
    assert (owed.payer_ref, owed.payer_name) == ("tg:99", "Bob")
    async with rig.store.transaction() as tx:
        entries = await tx.ledger.ledger_entries_of_payment(payment_id)
        secrets = [await tx.ledger.payer_secret(e.index) for e in entries]
    assert [s.payer_ref if s else None for s in secrets] == ["tg:99"]
    assert all(e.payer_commitment for e in entries)


async def test_a_refund_owed_is_not_pending_work(rig: Rig) -> None:
    _, payment_id = await _late_payment(rig)
    async with rig.store.transaction() as tx:
        pending = await tx.payments.pending_payments(100)
    assert payment_id not in [p.id for p in pending]
    rig.clock.advance(days=1)
    assert (await rig.engine.tick()).driven == 0
