"""Regression (fixed): mode `all` completes and captures with fewer than N live authorisations.

A counted AUTHORISED payment that the gateway voids on its own (an authorisation that
expires, or a void in the gateway's dashboard) goes through settling._given_back_outside:
the sub-order becomes REFUNDED but orders.paid_count is not decremented and the part is not
offered again. When the remaining payers pay, paid_count reaches N, the order COMPLETES and
capture_all captures N-1: "captured in mode all short of N".
"""

from __future__ import annotations

from core.domain.model import OrderState, PaymentStatus
from core.ports.store import GatewayEventKind
from tests.support.harness import Rig, request


async def test_an_authorisation_voided_at_the_gateway_does_not_count_towards_n(rig: Rig) -> None:
    payee = await rig.payee()
    view = await rig.engine.create_order(payee, request(total="30", payers=3, mode="all"))
    token = view.order.token
    a = await rig.engine.reserve(token, "a", source="a")
    assert a.sub.checkout_ref
    await rig.engine.apply_event(rig.gateway.pay(a.sub.checkout_ref))
    # The gateway voids a's authorisation on its own (e.g. it expired).
    await rig.engine.apply_event(rig.gateway.event(a.sub.checkout_ref, GatewayEventKind.VOIDED))
    for name in ("b", "c"):
        r = await rig.engine.reserve(token, name, source=name)
        assert r.sub.checkout_ref
        await rig.engine.apply_event(rig.gateway.pay(r.sub.checkout_ref))

    done = await rig.engine.get_order(view.order.id, payee)
    async with rig.store.transaction() as tx:
        payments = await tx.payments.payments_of_order(view.order.id)
    live = [
        p for p in payments if p.status in (PaymentStatus.CAPTURE_PENDING, PaymentStatus.CAPTURED)
    ]
    # Expected: either not completed (only 2 of 3 hold money) or 3 captured.
    assert not (done.order.state == OrderState.COMPLETED and len(live) < done.order.n), (
        f"mode all completed with paid_count={done.order.paid_count} but only "
        f"{len(live)} of {done.order.n} payments captured; captures {rig.gateway.done('capture')}"
    )
