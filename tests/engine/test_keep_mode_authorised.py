"""An authorisation on an order in mode `keep` is captured at once: the part counts as paid
and the money is taken, never left held until the authorisation lapses at the gateway."""

from __future__ import annotations

from core.domain.errors import GatewayRetryable
from core.domain.ledger.entries import EntryKind
from core.domain.model import OrderState, Payment, PaymentStatus, SubOrderState
from core.ports.store import GatewayEvent, GatewayEventKind
from core.usecases.deps import Outcome
from tests.support.harness import Rig, request


async def authorised_part(rig: Rig, payers: int = 2) -> tuple[str, GatewayEvent]:
    """An order in mode keep with one part held, and the gateway's authorisation of it."""
    view = await rig.engine.create_order(await rig.payee(), request("20", payers, mode="keep"))
    held = await rig.engine.reserve(view.order.token, "bob", source="bob")
    assert held.sub.checkout_ref is not None
    return view.order.id, rig.gateway.event(held.sub.checkout_ref, GatewayEventKind.AUTHORISED)


async def kinds_of(rig: Rig, payment: Payment) -> list[EntryKind]:
    async with rig.store.transaction() as tx:
        entries = await tx.ledger.ledger_entries_of_payment(payment.id)
    return [e.kind for e in entries]


async def test_an_authorisation_in_mode_keep_is_counted_and_captured_at_once(rig: Rig) -> None:
    order_id, event = await authorised_part(rig)

    assert await rig.engine.apply_event(event) == Outcome.APPLIED

    payment = await rig.engine.payment_of(event.gateway, event.payment_ref)
    assert payment is not None
    assert (payment.status, payment.counted) == (PaymentStatus.CAPTURED, True)
    assert rig.gateway.done("capture") == [event.payment_ref]
    view = await rig.engine.order_view(order_id)
    assert view is not None
    assert view.order.paid_count == 1
    assert [s.state for s in view.subs] == [SubOrderState.PAID, SubOrderState.AVAILABLE]
    assert await kinds_of(rig, payment) == [
        EntryKind.PART_AUTHORISED,
        EntryKind.PAYMENT_CAPTURED,
    ]


async def test_a_capture_that_fails_for_now_is_retried_until_it_is_taken(rig: Rig) -> None:
    order_id, event = await authorised_part(rig, payers=1)
    rig.gateway.fail_next = [GatewayRetryable("503")]

    await rig.engine.apply_event(event)

    pending = await rig.engine.payment_of(event.gateway, event.payment_ref)
    assert pending is not None
    assert pending.status == PaymentStatus.CAPTURE_PENDING
    view = await rig.engine.order_view(order_id)
    assert view is not None
    assert view.order.state == OrderState.COMPLETED  # the one part is paid
    rig.clock.advance(seconds=3600)
    await rig.engine.drive_pending()
    done = await rig.engine.payment_of(event.gateway, event.payment_ref)
    assert done is not None
    assert done.status == PaymentStatus.CAPTURED
    assert rig.gateway.done("capture") == [event.payment_ref]


async def test_an_authorisation_in_mode_all_is_still_held_until_every_part_is_in(
    rig: Rig,
) -> None:
    view = await rig.engine.create_order(await rig.payee(), request("20", 2, mode="all"))
    held = await rig.engine.reserve(view.order.token, "bob", source="bob")
    assert held.sub.checkout_ref is not None
    event = rig.gateway.pay(held.sub.checkout_ref)

    await rig.engine.apply_event(event)

    payment = await rig.engine.payment_of(event.gateway, event.payment_ref)
    assert payment is not None
    assert payment.status == PaymentStatus.AUTHORISED
    assert rig.gateway.done("capture") == []
