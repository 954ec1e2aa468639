"""The gateway contract: every gateway, driven through the engine, keeps the same promises.

Each test runs once per gateway in DRIVERS (tests/gateways/drivers.py): the embedded
sandbox, Stripe over localstripe, and Telegram Payments in a provider's currency and in
Stars. Where Telegram cannot keep a promise the way card gateways do, the test says so and
checks Telegram's way: it never reports a decline (the hold lapses instead), refunds a
provider payment only through the payee (by hand), and refuses mode `all` at reserve time.
"""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from core.domain.errors import Unsupported
from core.domain.model import OrderState, PaymentStatus, SubOrder, SubOrderState
from core.ports.store import CheckoutStatus
from core.usecases.deps import OrderView
from tests.gateways.drivers import DRIVERS, Driver
from tests.support.harness import dump, request


@pytest.fixture(params=sorted(DRIVERS))
async def driver(request: pytest.FixtureRequest) -> AsyncIterator[Driver]:
    async with DRIVERS[request.param](request) as found:
        yield found


async def _order(
    d: Driver, total: str, payers: int, *, mode: str = "keep", cur: str | None = None
) -> OrderView:
    payee, _ = await d.engine.create_api_key("Ann")
    code = cur or d.currency_with(2) or d.currency_with(0)
    assert code is not None
    return await d.engine.create_order(payee, request(total, payers, mode=mode, cur=code))


async def _reserve(d: Driver, view: OrderView, payer: str) -> tuple[SubOrder, str]:
    held = await d.engine.reserve(view.order.token, payer, source=payer)
    assert held.sub.checkout_ref is not None
    return held.sub, held.sub.checkout_ref


async def _fresh(d: Driver, view: OrderView) -> OrderView:
    return await d.engine.get_order(view.order.id, view.order.payee_id)


@pytest.mark.parametrize(("total", "exponent"), [("100", 2), ("1000", 0)])
async def test_the_checkout_asks_exactly_the_sub_orders_amount(
    driver: Driver, total: str, exponent: int
) -> None:
    cur = driver.currency_with(exponent)
    if cur is None:
        pytest.skip(f"{driver.name} takes no currency with {exponent} decimals (Stars have none)")
    view = await _order(driver, total, 3, cur=cur)
    for payer in ("tg:1", "tg:2"):
        sub, ref = await _reserve(driver, view, payer)
        state = await driver.gateway.retrieve(ref)
        assert (state.amount_minor, state.currency) == (sub.amount_minor, cur)
        assert state.status == CheckoutStatus.OPEN
    amounts = [s.amount_minor for s in view.subs]
    assert amounts == ([3334, 3333, 3333] if exponent == 2 else [334, 333, 333])


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
        [payment] = await tx.payments.payments_of_order(view.order.id)
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
    if driver.reports_declines:
        assert await driver.deliver() == ["applied"]
    else:  # Telegram: nothing is reported; the hold lapses and frees the part
        assert await driver.deliver() == []
        assert sub.hold_until is not None
        driver.clock.at = sub.hold_until
        assert await driver.engine.release_lapsed_holds() == 1
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
    await driver.finish_refunds(view.order.id, view.order.payee_id)
    assert await driver.refunded_minor(ref) == sub.amount_minor
    after = await _fresh(driver, view)
    assert after.order.paid_count == 0
    async with driver.store.transaction() as tx:
        [payment] = await tx.payments.payments_of_order(view.order.id)
    assert (payment.status, payment.counted) == (PaymentStatus.REFUNDED, False)


async def test_mode_all_captures_only_when_all_have_paid(driver: Driver) -> None:
    view = await _order(driver, "100", 2, mode="all")
    if not driver.authorises:
        # Telegram takes the money at once: it cannot hold it until all N are in, so a
        # mode-all order refuses it before any part is held or any invoice made.
        with pytest.raises(Unsupported, match="mode all") as refused:
            await driver.engine.reserve(view.order.token, "tg:1", source="tg:1")
        assert refused.value.fields == {"gateway": "telegram", "reason": "mode_all"}
        after = await _fresh(driver, view)
        assert [s.state for s in after.subs] == [SubOrderState.AVAILABLE] * 2
        return
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
        payments = await tx.payments.payments_of_order(view.order.id)
    assert {p.status for p in payments} == {PaymentStatus.CAPTURED}
