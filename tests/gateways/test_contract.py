"""The gateway contract: every gateway, driven through the engine, keeps the same promises.

Each test runs once per gateway in DRIVERS (tests/gateways/drivers.py): the embedded
sandbox, and Stripe over localstripe.
"""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from core.deps import OrderView
from core.model import OrderState, PaymentStatus, SubOrder, SubOrderState
from core.ports import CheckoutStatus
from tests.gateways.drivers import DRIVERS, Driver
from tests.harness import dump, request


@pytest.fixture(params=sorted(DRIVERS))
async def driver(request: pytest.FixtureRequest) -> AsyncIterator[Driver]:
    async with DRIVERS[request.param](request) as found:
        yield found


async def _order(
    d: Driver, total: str, payers: int, *, mode: str = "keep", cur: str = "USD"
) -> OrderView:
    payee, _ = await d.engine.create_api_key("Ann")
    return await d.engine.create_order(payee, request(total, payers, mode=mode, cur=cur))


async def _reserve(d: Driver, view: OrderView, payer: str) -> tuple[SubOrder, str]:
    held = await d.engine.reserve(view.order.token, payer)
    assert held.sub.checkout_ref is not None
    return held.sub, held.sub.checkout_ref


async def _fresh(d: Driver, view: OrderView) -> OrderView:
    return await d.engine.get_order(view.order.id, view.order.payee_id)


@pytest.mark.parametrize(("total", "cur"), [("100", "USD"), ("1000", "JPY")])
async def test_the_checkout_asks_exactly_the_sub_orders_amount(
    driver: Driver, total: str, cur: str
) -> None:
    view = await _order(driver, total, 3, cur=cur)
    for payer in ("tg:1", "tg:2"):
        sub, ref = await _reserve(driver, view, payer)
        state = await driver.gateway.retrieve(ref)
        assert (state.amount_minor, state.currency) == (sub.amount_minor, cur)
        assert state.status == CheckoutStatus.OPEN
    amounts = [s.amount_minor for s in view.subs]
    assert amounts == ([3334, 3333, 3333] if cur == "USD" else [334, 333, 333])


async def test_a_success_settles_once(driver: Driver) -> None:
    view = await _order(driver, "100", 2)
    sub, ref = await _reserve(driver, view, "tg:1")
    await driver.pay(ref)
    assert await driver.deliver() == ["applied"]
    assert await driver.deliver() == []
    after = await _fresh(driver, view)
    assert after.order.paid_count == 1
    assert [s.state for s in after.subs if s.id == sub.id] == [SubOrderState.PAID]
    async with driver.store.transaction() as tx:
        [payment] = await tx.payments_of_order(view.order.id)
    assert (payment.status, payment.amount_minor, payment.counted) == (
        PaymentStatus.CAPTURED,
        sub.amount_minor,
        True,
    )


async def test_a_duplicate_webhook_changes_nothing(driver: Driver) -> None:
    view = await _order(driver, "100", 2)
    _, ref = await _reserve(driver, view, "tg:1")
    await driver.pay(ref)
    assert await driver.deliver() == ["applied"]
    before = await dump(driver.store)
    assert await driver.redeliver_last() == ["duplicate"]
    assert await dump(driver.store) == before


async def test_a_decline_frees_the_reservation(driver: Driver) -> None:
    view = await _order(driver, "50", 1)
    sub, ref = await _reserve(driver, view, "tg:1")
    await driver.decline(ref)
    assert await driver.deliver() == ["applied"]
    after = await _fresh(driver, view)
    assert [s.state for s in after.subs] == [SubOrderState.AVAILABLE]
    again, _ = await _reserve(driver, view, "tg:2")  # the part is free for someone else
    assert again.id == sub.id


async def test_a_success_after_the_order_expired_is_refunded(driver: Driver) -> None:
    view = await _order(driver, "50", 1)
    sub, ref = await _reserve(driver, view, "tg:1")
    await driver.pay(ref)
    driver.clock.at = view.order.expires_at  # the webhook lands when the order is over
    assert await driver.deliver() == ["refunding"]
    assert await driver.refunded_minor(ref) == sub.amount_minor
    after = await _fresh(driver, view)
    assert after.order.paid_count == 0
    async with driver.store.transaction() as tx:
        [payment] = await tx.payments_of_order(view.order.id)
    assert (payment.status, payment.counted) == (PaymentStatus.REFUNDED, False)


async def test_mode_all_captures_only_when_all_have_paid(driver: Driver) -> None:
    view = await _order(driver, "100", 2, mode="all")
    _, first = await _reserve(driver, view, "tg:1")
    await driver.pay(first)
    assert await driver.deliver() == ["applied"]
    assert (await driver.gateway.retrieve(first)).status == CheckoutStatus.AUTHORISED
    assert (await _fresh(driver, view)).order.state == OrderState.OPEN
    _, second = await _reserve(driver, view, "tg:2")
    await driver.pay(second)
    assert await driver.deliver() == ["applied"]  # the N-th: both are captured now
    for ref in (first, second):
        assert (await driver.gateway.retrieve(ref)).status == CheckoutStatus.SUCCEEDED
    assert (await _fresh(driver, view)).order.state == OrderState.COMPLETED
    async with driver.store.transaction() as tx:
        payments = await tx.payments_of_order(view.order.id)
    assert {p.status for p in payments} == {PaymentStatus.CAPTURED}
