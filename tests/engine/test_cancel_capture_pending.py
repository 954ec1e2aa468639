"""Regression (fixed): cancelling a completed mode-`all` order with captures still pending.

closing.give_back only unwinds AUTHORISED and CAPTURED payments; a CAPTURE_PENDING one is
skipped, stays pending, and drive_pending later captures it on a cancelled order. Nothing
ever refunds it.
"""

from __future__ import annotations

from core.domain.errors import GatewayRetryable
from core.domain.model import OrderState, PaymentStatus
from tests.support.harness import Rig, request


async def test_cancel_after_completion_with_capture_still_pending_refunds_everything(
    rig: Rig,
) -> None:
    payee = await rig.payee()
    view = await rig.engine.create_order(payee, request(total="20", payers=2, mode="all"))
    token = view.order.token
    a = await rig.engine.reserve(token, "a", source="a")
    b = await rig.engine.reserve(token, "b", source="b")
    assert a.sub.checkout_ref
    assert b.sub.checkout_ref
    await rig.engine.apply_event(rig.gateway.pay(a.sub.checkout_ref))
    # The gateway is briefly unavailable when the N-th payment completes the order.
    rig.gateway.fail_next = [GatewayRetryable("503"), GatewayRetryable("503")]
    await rig.engine.apply_event(rig.gateway.pay(b.sub.checkout_ref))
    done = await rig.engine.get_order(view.order.id, payee)
    assert done.order.state == OrderState.COMPLETED

    # The payee cancels: "every paid part is refunded (or its authorisation voided)".
    result = await rig.engine.cancel_order(view.order.id, payee)
    await rig.engine.tick()  # the gateway is back; pending work is driven
    await rig.engine.tick()

    async with rig.store.transaction() as tx:
        payments = await tx.payments.payments_of_order(view.order.id)
    statuses = sorted(p.status for p in payments)
    assert result.view.order.state == OrderState.CANCELLED
    # Expected: nothing kept on a cancelled order. Actual: both captured, neither refunded.
    assert PaymentStatus.CAPTURED not in statuses, (
        f"cancelled order kept captured money: {statuses}; "
        f"gateway calls {[c[0] for c in rig.gateway.calls]}; refunded list {result.refunded}"
    )
