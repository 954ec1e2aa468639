"""Authorisations voided at the gateway whose news came too early or too late for Chipin (found
by the simulator, tests/sim, seed 1).

A voided (or expired) authorisation can never be captured or voided again: the gateway
refuses for good. Chipin retried such a capture or void for ever: the payment stayed
pending, its part stayed counted, and the ledger never booked the money going back.
- The void arrives while Chipin's capture is still pending (the capture failed for now).
- Gateways do not promise order: the VOIDED webhook overtakes the AUTHORISED one, is
  ignored (the payment is not known yet), and then the authorisation is recorded. (Since
  seed 19 the early void is remembered, and such an authorisation never counts.)
"""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from core.domain.errors import GatewayFinal, GatewayRetryable
from core.domain.model import OrderState, PayeeId, PaymentStatus, SubOrderState
from core.ports.store import CheckoutStatus, GatewayEvent, GatewayEventKind
from tests.support.fakes.gateway import FakeGateway
from tests.support.harness import Rig, build_rig, open_store, request


class ReleasingGateway(FakeGateway):
    """A FakeGateway that refuses, for good, to capture or void an authorisation it released."""

    def release(self, checkout_ref: str) -> GatewayEvent:
        """The authorisation is voided at the gateway (by the payee, or it expired)."""
        self.checkouts[checkout_ref].status = CheckoutStatus.CANCELLED
        return self.event(checkout_ref, GatewayEventKind.VOIDED)

    def _refuse_released(self, payment_ref: str) -> None:
        co = self.checkouts.get(payment_ref.removeprefix("py_"))
        if co is not None and co.status == CheckoutStatus.CANCELLED:
            raise GatewayFinal(f"payment {payment_ref} is voided")

    async def capture(self, payment_ref: str, idempotency_key: str) -> None:
        self._refuse_released(payment_ref)
        await super().capture(payment_ref, idempotency_key)

    async def void(self, payment_ref: str, idempotency_key: str) -> None:
        self._refuse_released(payment_ref)
        await super().void(payment_ref, idempotency_key)


@pytest.fixture
async def rig(store_url: str | None) -> AsyncIterator[Rig]:
    async with open_store(store_url) as store:
        yield build_rig(store, ReleasingGateway())


def _gw(rig: Rig) -> ReleasingGateway:
    assert isinstance(rig.gateway, ReleasingGateway)
    return rig.gateway


async def _settled(rig: Rig, payment_ref: str) -> tuple[PaymentStatus | None, list[str]]:
    """The payment's status, and whatever is still waiting on a gateway call."""
    async with rig.store.transaction() as tx:
        p = await tx.payments.get_payment(rig.gateway.name, payment_ref)
        pending = [f"{q.id} {q.status}" for q in await tx.payments.pending_payments(10)]
    return (p.status if p else None), pending


async def _two_part_order(rig: Rig) -> tuple[PayeeId, str, str, str]:
    payee = await rig.payee()
    view = await rig.engine.create_order(payee, request(total="20", payers=2, mode="all"))
    a = await rig.engine.reserve(view.order.token, "a", source="a")
    b = await rig.engine.reserve(view.order.token, "b", source="b")
    assert a.sub.checkout_ref
    assert b.sub.checkout_ref
    return payee, view.order.id, a.sub.checkout_ref, b.sub.checkout_ref


async def test_a_void_while_the_capture_is_pending_gives_the_part_back(rig: Rig) -> None:
    payee, order_id, a, b = await _two_part_order(rig)
    paid_a = rig.gateway.pay(a)
    await rig.engine.apply_event(paid_a)
    rig.gateway.fail_next = [GatewayRetryable("503")]  # capturing a fails for now
    await rig.engine.apply_event(rig.gateway.pay(b))  # the order completes
    await rig.engine.apply_event(_gw(rig).release(a))
    rig.clock.advance(minutes=30)
    await rig.engine.tick()

    done = await rig.engine.get_order(order_id, payee)
    assert done.order.state == OrderState.COMPLETED
    # Expected: a's money is known to be back. Actual: capture_pending for ever.
    assert await _settled(rig, paid_a.payment_ref) == (PaymentStatus.VOIDED, [])
    assert done.order.refunded_minor == done.subs[0].amount_minor
    assert done.subs[0].state == SubOrderState.REFUNDED


async def test_a_late_authorisation_already_voided_is_not_voided_for_ever(rig: Rig) -> None:
    payee, order_id, a, _ = await _two_part_order(rig)
    authorised = rig.gateway.pay(a)
    await rig.engine.apply_event(_gw(rig).release(a))  # overtakes the authorisation
    await rig.engine.cancel_order(order_id, payee)
    await rig.engine.apply_event(authorised)  # too late to count: it must go back
    rig.clock.advance(minutes=30)
    await rig.engine.tick()

    # Expected: Chipin learns the money is back. Actual: void_pending for ever.
    assert await _settled(rig, authorised.payment_ref) == (PaymentStatus.VOIDED, [])


async def test_an_authorisation_whose_void_came_first_is_never_counted(rig: Rig) -> None:
    """Once the void overtook it, the authorisation does not count (tests/engine/
    test_loose_checkouts.py has the open-order case): the next payment does not
    complete the order, and nothing is captured short of N real authorisations."""
    payee, order_id, a, b = await _two_part_order(rig)
    authorised = rig.gateway.pay(a)
    await rig.engine.apply_event(_gw(rig).release(a))  # overtakes the authorisation
    await rig.engine.apply_event(authorised)  # remembered void: not counted
    await rig.engine.apply_event(rig.gateway.pay(b))

    done = await rig.engine.get_order(order_id, payee)
    assert await _settled(rig, authorised.payment_ref) == (PaymentStatus.VOIDED, [])
    assert done.order.state == OrderState.OPEN
    assert done.order.paid_count == 1
    assert rig.gateway.done("capture") == []
