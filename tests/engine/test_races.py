"""Races on one order: 200 payers for 6 parts, duplicate and concurrent webhooks, lapsed holds."""

from __future__ import annotations

import asyncio

import pytest

from core.domain.errors import OrderClosed, OrderFull
from core.domain.model import OrderState, PaymentStatus
from core.ports.store import GatewayEvent
from core.usecases.deps import Outcome, Reservation
from tests.support.harness import Rig, request


async def test_200_payers_race_for_6_parts(rig: Rig) -> None:
    payee = await rig.payee()
    view = await rig.engine.create_order(payee, request(total="240", payers=6))
    token = view.order.token

    async def attempt(i: int) -> Reservation | OrderFull:
        try:
            return await rig.engine.reserve(token, f"payer-{i}", source=f"payer-{i}")
        except OrderFull as full:
            return full

    results = await asyncio.gather(*(attempt(i) for i in range(200)))
    held = [r for r in results if isinstance(r, Reservation)]
    refused = [r for r in results if isinstance(r, OrderFull)]
    assert len(held) == 6
    assert len(refused) == 194
    assert all("reserved" in r.message for r in refused)
    assert len({r.sub.id for r in held}) == 6

    events: list[GatewayEvent] = []
    for r in held:
        assert r.sub.checkout_ref
        events.append(rig.gateway.pay(r.sub.checkout_ref))
    # every webhook delivered three times, all at once
    outcomes = await asyncio.gather(*(rig.engine.apply_event(e) for e in events * 3))
    assert outcomes.count(Outcome.APPLIED) == 6
    assert outcomes.count(Outcome.DUPLICATE) == 12

    done = await rig.engine.get_order(view.order.id, payee)
    assert done.order.state == OrderState.COMPLETED
    assert done.order.paid_count == 6
    assert done.order.paid_minor == 24000 == done.order.total_minor
    with pytest.raises(OrderClosed, match="completed"):
        await rig.engine.reserve(token, "payer-late", source="payer-late")


async def test_more_payments_than_parts_settle_at_once_and_only_n_count(rig: Rig) -> None:
    """Holds lapse and are taken again, so 12 checkouts get paid for 6 parts: 6 count, 6 go back."""
    payee = await rig.payee()
    view = await rig.engine.create_order(payee, request(total="60", payers=6))
    token = view.order.token
    first = [await rig.engine.reserve(token, f"early-{i}", source=f"early-{i}") for i in range(6)]
    rig.clock.advance(minutes=16)
    assert (await rig.engine.tick()).released == 6
    second = [await rig.engine.reserve(token, f"late-{i}", source=f"late-{i}") for i in range(6)]
    events = []
    for r in first + second:
        assert r.sub.checkout_ref
        events.append(rig.gateway.pay(r.sub.checkout_ref))
    outcomes = await asyncio.gather(*(rig.engine.apply_event(e) for e in events))
    assert outcomes.count(Outcome.APPLIED) == 6
    assert outcomes.count(Outcome.REFUNDING) == 6
    done = await rig.engine.get_order(view.order.id, payee)
    assert (done.order.paid_count, done.order.paid_minor) == (6, 6000)
    async with rig.store.transaction() as tx:
        payments = await tx.payments.payments_of_order(view.order.id)
    counted = [p for p in payments if p.counted]
    refunded = [p for p in payments if not p.counted]
    assert len(counted) == 6
    assert {p.status for p in refunded} == {PaymentStatus.REFUNDED}
    assert sorted(rig.gateway.done("refund")) == sorted(p.payment_ref for p in refunded)
