"""Loose checkouts and early voids: the two gaps the simulator found (tests/sim).

1. Checkouts out of reconciliation's reach (seeds 7, 32, 1073): a checkout whose
   reservation is gone (a declined card, an order closed) could still take money, and a
   payment on it whose webhook the gateway gave up on was never found. Now such a checkout
   is *loose* until the gateway confirmed it closed and it was read back.
2. A void that overtook its authorisation (seed 19): the authorisation was counted in an
   open mode-`all` order until the order ended. Now the early void is remembered.
"""

from __future__ import annotations

from core.domain.errors import GatewayRetryable
from core.domain.model import OrderState, PaymentStatus, SubOrderState
from core.ports.store import CheckoutStatus, GatewayEventKind
from tests.support.harness import Rig, request


async def _loose(rig: Rig) -> list[str]:
    async with rig.store.transaction() as tx:
        return [c.ref for c in await tx.checkouts.loose_checkouts(100)]


async def test_a_declined_checkout_is_closed_at_the_gateway(rig: Rig) -> None:
    payee = await rig.payee()
    view = await rig.engine.create_order(payee, request(total="20", payers=2))
    a = await rig.engine.reserve(view.order.token, "a", source="a")
    assert a.sub.checkout_ref
    await rig.engine.apply_event(rig.gateway.event(a.sub.checkout_ref, GatewayEventKind.FAILED))

    assert rig.gateway.checkouts[a.sub.checkout_ref].status == CheckoutStatus.CANCELLED
    assert rig.gateway.done("cancel_checkout") == [a.sub.checkout_ref]
    assert await _loose(rig) == []  # closed and read back: nothing left to watch
    again = await rig.engine.reserve(view.order.token, "a", source="a")  # the payer tries again
    assert again.sub.checkout_ref not in (None, a.sub.checkout_ref)


async def test_a_payment_on_a_declined_checkout_is_found_without_its_webhook(rig: Rig) -> None:
    """The cancel after the decline fails; the payer pays on the same page anyway; the
    gateway gives up on that payment's webhook. Reconciliation finds it and refunds it."""
    payee = await rig.payee()
    view = await rig.engine.create_order(payee, request(total="20", payers=2))
    a = await rig.engine.reserve(view.order.token, "a", source="a")
    assert a.sub.checkout_ref
    rig.gateway.fail_cancels = 1
    await rig.engine.apply_event(rig.gateway.event(a.sub.checkout_ref, GatewayEventKind.FAILED))
    assert await _loose(rig) == [a.sub.checkout_ref]
    lost = rig.gateway.pay(a.sub.checkout_ref)  # its webhook never arrives

    rig.clock.advance(minutes=1)
    assert await rig.engine.reconcile() == 1

    async with rig.store.transaction() as tx:
        known = await tx.payments.get_payment(rig.gateway.name, lost.payment_ref)
    assert known is not None
    assert not known.counted  # the part was freed: it is late money, and goes back
    assert known.status == PaymentStatus.REFUNDED
    assert rig.gateway.done("refund") == [lost.payment_ref]
    assert await _loose(rig) == []
    assert await rig.engine.reconcile() == 0  # nothing more to find, nothing done twice
    assert rig.gateway.done("refund") == [lost.payment_ref]


async def test_a_checkout_of_a_cancelled_order_is_retried_until_the_gateway_answers(
    rig: Rig,
) -> None:
    payee = await rig.payee()
    view = await rig.engine.create_order(payee, request(total="30", payers=3))
    a = await rig.engine.reserve(view.order.token, "a", source="a")
    assert a.sub.checkout_ref
    rig.gateway.fail_cancels = 3  # the cancel after the commit and two reconcile passes
    await rig.engine.cancel_order(view.order.id, payee)
    for _ in range(2):
        await rig.engine.reconcile()
        assert await _loose(rig) == [a.sub.checkout_ref]
    lost = rig.gateway.pay(a.sub.checkout_ref)  # paid before the gateway took the cancel

    await rig.engine.reconcile()

    async with rig.store.transaction() as tx:
        known = await tx.payments.get_payment(rig.gateway.name, lost.payment_ref)
        order = await tx.orders.get_order(view.order.id)
    assert known is not None
    assert known.status == PaymentStatus.REFUNDED
    assert order is not None
    assert order.state == OrderState.CANCELLED
    assert order.paid_count == 0
    assert await _loose(rig) == []


async def test_a_checkout_read_back_failing_stays_loose(rig: Rig) -> None:
    """Cancelled at the gateway, but the read-back fails: it may have been paid just
    before, so it stays loose until a read-back answers."""
    payee = await rig.payee()
    view = await rig.engine.create_order(payee, request(total="20", payers=2))
    a = await rig.engine.reserve(view.order.token, "a", source="a")
    assert a.sub.checkout_ref
    lost = rig.gateway.pay(a.sub.checkout_ref)  # paid; the webhook is lost
    rig.gateway.fail_next.append(GatewayRetryable("down"))
    await rig.engine.cancel_order(view.order.id, payee)  # its retrieve fails
    assert await _loose(rig) == [a.sub.checkout_ref]

    assert await rig.engine.reconcile() == 1

    async with rig.store.transaction() as tx:
        known = await tx.payments.get_payment(rig.gateway.name, lost.payment_ref)
    assert known is not None
    assert known.status == PaymentStatus.REFUNDED
    assert await _loose(rig) == []


async def test_an_authorisation_voided_before_it_was_reported_is_not_counted(rig: Rig) -> None:
    """The VOIDED webhook overtakes AUTHORISED while the mode-`all` order is open."""
    payee = await rig.payee()
    view = await rig.engine.create_order(payee, request(total="20", payers=2, mode="all"))
    a = await rig.engine.reserve(view.order.token, "a", source="a")
    assert a.sub.checkout_ref
    authorised = rig.gateway.pay(a.sub.checkout_ref)
    rig.gateway.checkouts[a.sub.checkout_ref].status = CheckoutStatus.CANCELLED  # voided
    voided = rig.gateway.event(a.sub.checkout_ref, GatewayEventKind.VOIDED)
    await rig.engine.apply_event(voided)
    await rig.engine.apply_event(authorised)
    await rig.engine.apply_event(authorised)  # delivered again
    await rig.engine.apply_event(voided)  # and the void again

    done = await rig.engine.get_order(view.order.id, payee)
    assert done.order.paid_count == 0
    assert done.order.paid_minor == 0
    async with rig.store.transaction() as tx:
        p = await tx.payments.get_payment(rig.gateway.name, authorised.payment_ref)
        sub = await tx.sub_orders.get_sub_order(a.sub.id)
    assert p is not None
    assert p.status == PaymentStatus.VOIDED
    assert not p.counted
    assert sub is not None
    assert sub.state == SubOrderState.RESERVED
    assert rig.gateway.done("void") == []  # the gateway released it itself
    b = await rig.engine.reserve(view.order.token, "b", source="b")
    assert b.sub.checkout_ref
    await rig.engine.apply_event(rig.gateway.pay(b.sub.checkout_ref))
    assert rig.gateway.done("capture") == []  # one real authorisation of two: no capture


async def test_a_void_after_its_authorisation_still_gives_the_part_back(rig: Rig) -> None:
    """The usual order of news is unchanged: the part goes back to be paid again."""
    payee = await rig.payee()
    view = await rig.engine.create_order(payee, request(total="20", payers=2, mode="all"))
    a = await rig.engine.reserve(view.order.token, "a", source="a")
    assert a.sub.checkout_ref
    await rig.engine.apply_event(rig.gateway.pay(a.sub.checkout_ref))
    assert (await rig.engine.get_order(view.order.id, payee)).order.paid_count == 1
    await rig.engine.apply_event(rig.gateway.event(a.sub.checkout_ref, GatewayEventKind.VOIDED))

    done = await rig.engine.get_order(view.order.id, payee)
    assert done.order.paid_count == 0
    async with rig.store.transaction() as tx:
        assert (
            await tx.checkouts.take_early_void(rig.gateway.name, f"py_{a.sub.checkout_ref}")
            is False
        )


async def test_a_gateway_switched_off_since_leaves_nothing_held_or_loose(rig: Rig) -> None:
    """A hold and a loose checkout at a gateway no longer configured: nobody can pay there
    through Chipin, so the hold lapses as usual and the loose checkout is let go."""
    payee = await rig.payee()
    view = await rig.engine.create_order(payee, request(total="20", payers=2))
    a = await rig.engine.reserve(view.order.token, "a", source="a")
    b = await rig.engine.reserve(view.order.token, "b", source="b")
    assert a.sub.checkout_ref
    rig.gateway.fail_cancels = 1
    await rig.engine.apply_event(rig.gateway.event(a.sub.checkout_ref, GatewayEventKind.FAILED))
    assert await _loose(rig) == [a.sub.checkout_ref]
    gateways = rig.engine.deps.gateways
    assert isinstance(gateways, dict)
    del gateways[rig.gateway.name]  # the operator switched it off

    await rig.engine.reconcile()
    rig.clock.advance(minutes=16)  # past b's hold
    await rig.engine.tick()

    assert await _loose(rig) == []
    async with rig.store.transaction() as tx:
        sub = await tx.sub_orders.get_sub_order(b.sub.id)
    assert sub is not None
    assert sub.state == SubOrderState.AVAILABLE
