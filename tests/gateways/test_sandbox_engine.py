"""The core engine over the real sandbox: reserve, pay on the page, settle from its webhooks."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass

import httpx
import pytest

from core.domain.model import OrderId, OrderState, Payment, PaymentStatus, SubOrderState
from core.ports.store import CheckoutStatus, Gateway
from core.usecases.engine import Engine
from gateways.sandbox import PayResult, SandboxGateway
from tests.gateways.conftest import PUBLIC_URL, SECRET, WEBHOOK_URL
from tests.support.fakes.clock import FakeClock
from tests.support.fakes.store import InMemoryStore
from tests.support.harness import build_rig, request


@dataclass
class World:
    engine: Engine
    store: InMemoryStore
    sandbox: SandboxGateway
    clock: FakeClock
    answered: list[str]

    async def deliver(self) -> int:
        return await self.sandbox.deliver_due()

    async def payments(self, order_id: OrderId) -> list[Payment]:
        async with self.store.transaction() as tx:
            return await tx.payments.payments_of_order(order_id)


@pytest.fixture
async def world(sqlite_db_url: str) -> AsyncIterator[World]:
    clock = FakeClock()
    answered: list[str] = []
    engine_box: list[Engine] = []

    async def webhook_route(req: httpx.Request) -> httpx.Response:
        """What web/ does: hand the raw body and headers to the engine."""
        outcomes = await engine_box[0].handle_webhook("sandbox", req.content, req.headers)
        answered.extend(o.value for o in outcomes)
        return httpx.Response(200)

    sandbox = SandboxGateway(
        sqlite_db_url,
        PUBLIC_URL,
        WEBHOOK_URL,
        SECRET,
        clock=clock,
        transport=httpx.MockTransport(webhook_route),
    )
    gateways: dict[str, Gateway] = {sandbox.name: sandbox}  # mypy checks the port here
    store = InMemoryStore()
    rig = build_rig(store, gateways=list(gateways.values())).swap(clock=clock, signer=None)
    engine_box.append(rig.engine)
    await sandbox.start()
    yield World(engine_box[0], store, sandbox, clock, answered)
    await sandbox.stop()


async def test_two_payers_complete_a_dinner(world: World) -> None:
    payee, _ = await world.engine.create_api_key("Ann")
    view = await world.engine.create_order(payee, request("240", 2))
    for payer in ("tg:1", "tg:2"):
        held = await world.engine.reserve(view.order.token, payer, source=payer)
        assert held.sub.checkout_ref is not None
        assert held.sub.checkout_url == f"{PUBLIC_URL}/sandbox/checkout/{held.sub.checkout_ref}"
        assert await world.sandbox.pay(held.sub.checkout_ref) == PayResult.PAID
    assert await world.deliver() == 2
    assert world.answered == ["applied", "applied"]
    done = await world.engine.get_order(view.order.id, payee)
    assert (done.order.state, done.order.paid_count) == (OrderState.COMPLETED, 2)


async def test_mode_all_authorises_then_captures_everyone(world: World) -> None:
    payee, _ = await world.engine.create_api_key("Ann")
    view = await world.engine.create_order(payee, request("100", 2, mode="all"))
    refs = []
    for payer in ("tg:1", "tg:2"):
        held = await world.engine.reserve(view.order.token, payer, source=payer)
        assert held.sub.checkout_ref is not None
        refs.append(held.sub.checkout_ref)
        assert await world.sandbox.pay(held.sub.checkout_ref) == PayResult.AUTHORISED
    await world.deliver()  # the second authorisation completes the order: both are captured
    await world.deliver()  # the payment.captured events
    for ref in refs:
        assert (await world.sandbox.retrieve(ref)).status == CheckoutStatus.SUCCEEDED
    payments = await world.payments(view.order.id)
    assert {p.status for p in payments} == {PaymentStatus.CAPTURED}


async def test_money_that_arrives_after_a_cancel_is_refunded(world: World) -> None:
    payee, _ = await world.engine.create_api_key("Ann")
    view = await world.engine.create_order(payee, request("50", 1))
    held = await world.engine.reserve(view.order.token, "tg:1", source="tg:1")
    assert held.sub.checkout_ref is not None
    await world.sandbox.pay(held.sub.checkout_ref)  # paid, but the webhook is not out yet
    # Closing the order asks the gateway about the checkout, finds the money, refunds it.
    await world.engine.cancel_order(view.order.id, payee)
    state = await world.sandbox.retrieve(held.sub.checkout_ref)
    view_after = await world.sandbox.view(held.sub.checkout_ref)
    assert view_after is not None
    assert view_after.refunded_minor == 5000
    await world.deliver()  # checkout.succeeded, then payment.refunded: both already known
    assert world.answered == ["duplicate", "ignored"]
    [payment] = await world.payments(view.order.id)
    assert (payment.status, payment.payment_ref) == (PaymentStatus.REFUNDED, state.payment_ref)


async def test_a_lapsed_hold_cancels_its_checkout(world: World) -> None:
    payee, _ = await world.engine.create_api_key("Ann")
    view = await world.engine.create_order(payee, request("50", 1))
    held = await world.engine.reserve(view.order.token, "tg:1", source="tg:1")
    assert held.sub.checkout_ref is not None
    world.clock.advance(seconds=view.order.hold_s + 1)
    assert await world.engine.release_lapsed_holds() == 1
    assert await world.sandbox.pay(held.sub.checkout_ref) == PayResult.CANCELLED
    subs = (await world.engine.get_order(view.order.id, payee)).subs
    assert [s.state for s in subs] == [SubOrderState.AVAILABLE]
