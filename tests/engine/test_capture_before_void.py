"""A capture that beat our void still moved money: the ledger books it before the refund."""

from __future__ import annotations

from core.domain.errors import GatewayRetryable
from core.domain.ledger.entries import EntryKind
from core.domain.model import PaymentStatus
from core.ports.store import GatewayEventKind
from tests.support.harness import Rig, request


async def test_a_capture_that_beat_the_void_is_booked_then_refunded(rig: Rig) -> None:
    payee = await rig.payee()
    view = await rig.engine.create_order(payee, request(total="20", payers=2, mode="all"))
    a = await rig.engine.reserve(view.order.token, "tg:1", source="tg:1")
    b = await rig.engine.reserve(view.order.token, "tg:2", source="tg:2")
    assert a.sub.checkout_ref is not None
    assert b.sub.checkout_ref is not None
    await rig.engine.apply_event(rig.gateway.pay(a.sub.checkout_ref))
    # The order completes; its captures, then (cancelled) its voids, do not go through yet.
    rig.gateway.fail_next = [GatewayRetryable("503")] * 4
    await rig.engine.apply_event(rig.gateway.pay(b.sub.checkout_ref))
    await rig.engine.cancel_order(view.order.id, payee)
    # The first capture did reach the gateway after all: its webhook comes in.
    captured = rig.gateway.event(a.sub.checkout_ref, GatewayEventKind.CAPTURED)
    await rig.engine.apply_event(captured)
    async with rig.store.transaction() as tx:
        payment = await tx.payments.get_payment(rig.gateway.name, captured.payment_ref)
    assert payment is not None
    assert payment.status == PaymentStatus.REFUNDED
    async with rig.store.transaction() as tx:
        booked = [e.kind for e in await tx.ledger.ledger_entries_of_payment(payment.id)]
    assert booked == [
        EntryKind.PART_AUTHORISED,
        EntryKind.PAYMENT_CAPTURED,
        EntryKind.PAYMENT_REFUNDED,
    ]
