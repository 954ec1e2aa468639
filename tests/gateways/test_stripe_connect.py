"""Card money into each payee's own Stripe account (Connect), end to end: Chipin's real Stripe
gateway against localstripe with the tests' Connect layer (tests.gateways.connect_layer),
webhooks over HTTP to Chipin's listener on both endpoints."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from core.domain.events import PayoutAccountChanged
from core.domain.model import OrderState, PaymentStatus
from core.domain.payouts import PayoutState
from gateways.stripe.connect import ACCOUNT_UPDATED
from gateways.stripe.events import INTENT_CAPTURABLE, INTENT_SUCCEEDED
from tests.gateways.stripe_rig import Localstripe
from tests.gateways.stripe_world import StripeWorld, open_stripe_world

FEE_BPS = 250  # 2.5 %


@pytest.fixture
async def w(localstripe: Localstripe) -> AsyncIterator[StripeWorld]:
    async with open_stripe_world(localstripe, connect=True, fee_bps=FEE_BPS) as found:
        yield found


async def _onboarded(w: StripeWorld, complete: bool = True) -> str:
    """The payee connects and goes through Stripe's hosted sign-up; Chipin hears of it by the
    Connect webhook. The account's id."""
    onboarding = await w.engine.connect_payouts(w.payee, "DE")
    account_id = onboarding.account.account_id
    assert onboarding.account.state == PayoutState.PENDING
    back = await w.admin.onboard(onboarding.url, complete=complete)
    assert back.startswith(f"{w.listener.base_url}/payouts/stripe/return/")
    await _heard(w, PayoutState.ENABLED if complete else PayoutState.RESTRICTED)
    return account_id


async def _heard(w: StripeWorld, state: PayoutState) -> None:
    """Until a Connect webhook brought the account to `state` (each answered 200)."""
    account = await w.engine.payout_account(w.payee)
    while account is None or account.state != state:
        assert account is not None
        arrived = await w.gate.arrival(ACCOUNT_UPDATED, account.account_id)
        assert arrived.status == 200
        account = await w.engine.payout_account(w.payee)


async def test_onboarding_enables_cards_into_the_payees_account_by_the_connect_webhook(
    w: StripeWorld,
) -> None:
    account_id = await _onboarded(w)
    account = await w.engine.payout_account(w.payee)
    assert account is not None
    assert (account.account_id, account.state, account.payouts_enabled) == (
        account_id,
        PayoutState.ENABLED,
        True,
    )
    [told] = w.notifier.of(PayoutAccountChanged)
    assert isinstance(told, PayoutAccountChanged)
    assert (told.state, told.payee_id) == ("enabled", w.payee)


async def test_a_part_is_a_destination_charge_with_the_fee_and_lands_in_the_payees_balance(
    w: StripeWorld,
) -> None:
    account_id = await _onboarded(w)
    platform_before = await w.admin.balance()
    view = await w.order("80.10", 2)  # 40.05 each: a 2.5 % fee of 100.125, so 1.00
    sub = await w.reserve(view, "tg:1")
    assert sub.checkout_ref is not None
    intent = await w.admin.intent(sub.checkout_ref)
    assert intent["transfer_data"]["destination"] == account_id
    assert intent["application_fee_amount"] == 100
    assert (await w.admin.pay(sub.checkout_ref))["status"] == "succeeded"
    delivery = await w.gate.arrival(INTENT_SUCCEEDED, sub.checkout_ref)
    assert delivery.outcomes == ["applied"]
    [payment] = await w.payments(view.order.id)
    assert (payment.payout_account, payment.fee_minor, payment.status) == (
        account_id,
        100,
        PaymentStatus.CAPTURED,
    )
    [transfer] = await w.admin.transfers(account_id)
    assert (transfer["amount"], transfer["destination"]) == (4005, account_id)
    assert (await w.admin.balance(account_id)).get("usd") == 4005 - 100
    platform_after = await w.admin.balance()
    assert platform_after.get("usd", 0) - platform_before.get("usd", 0) == 100  # the fee only


async def test_late_money_is_refunded_out_of_the_payees_account_never_the_platforms(
    w: StripeWorld,
) -> None:
    account_id = await _onboarded(w)
    platform_before = await w.admin.balance()
    w.gate.hold = True  # the webhook is late: the payee cancels first
    view = await w.order("50", 1)
    sub = await w.reserve(view, "tg:1")
    assert sub.checkout_ref is not None
    await w.admin.pay(sub.checkout_ref)
    await w.engine.cancel_order(view.order.id, w.payee)  # finds the money, refunds it
    assert await w.admin.refunded_minor(sub.checkout_ref) == 5000
    [payment] = await w.payments(view.order.id)
    assert (payment.status, payment.counted, payment.payout_account) == (
        PaymentStatus.REFUNDED,
        False,
        account_id,
    )
    [transfer] = await w.admin.transfers(account_id)
    assert transfer["amount_reversed"] == 5000
    charge = (await w.admin.intent(sub.checkout_ref))["latest_charge"]["id"]
    [fee] = await w.admin.application_fees(charge)  # the fee came back too
    assert (fee["amount"], fee["amount_refunded"]) == (125, 125)
    assert (await w.admin.balance(account_id)).get("usd", 0) == 0
    assert (await w.admin.balance()).get("usd", 0) == platform_before.get("usd", 0)


async def test_mode_all_pays_the_payee_only_when_everyone_is_in(w: StripeWorld) -> None:
    account_id = await _onboarded(w)
    view = await w.order("100", 2, mode="all")
    refs = []
    for payer in ("tg:1", "tg:2"):
        sub = await w.reserve(view, payer)
        assert sub.checkout_ref is not None
        assert (await w.admin.pay(sub.checkout_ref))["status"] == "requires_capture"
        response = await w.post(await w.event(INTENT_CAPTURABLE, sub.checkout_ref))
        assert response.json()["outcomes"] == ["applied"]
        refs.append(sub.checkout_ref)
        if payer == "tg:1":
            assert await w.admin.transfers(account_id) == []  # nothing moves on a hold
    assert (await w.view(view.order.id)).order.state == OrderState.COMPLETED
    transfers = await w.admin.transfers(account_id)
    assert sorted(t["amount"] for t in transfers) == [5000, 5000]
    assert (await w.admin.balance(account_id)).get("usd") == 2 * (5000 - 125)


async def test_a_restricted_account_stops_new_card_parts_and_keeps_the_paid_ones(
    w: StripeWorld,
) -> None:
    account_id = await _onboarded(w)
    view = await w.order("90", 3)
    sub = await w.reserve(view, "tg:1")
    assert sub.checkout_ref is not None
    await w.admin.pay(sub.checkout_ref)
    await w.gate.arrival(INTENT_SUCCEEDED, sub.checkout_ref)
    await w.admin.set_account(
        account_id,
        charges_enabled=False,
        disabled_reason="requirements.past_due",
        past_due=["individual.verification.document"],
        capabilities={"card_payments": "inactive", "transfers": "inactive"},
    )
    await _heard(w, PayoutState.RESTRICTED)
    account = await w.engine.payout_account(w.payee)
    assert account is not None
    assert (account.state, account.due) == (
        PayoutState.RESTRICTED,
        ("individual.verification.document",),
    )
    told = w.notifier.of(PayoutAccountChanged)[-1]
    assert isinstance(told, PayoutAccountChanged)
    assert (told.reason, told.orders) == (
        "Stripe needs more information from you",
        (view.order.id,),
    )
    after = await w.view(view.order.id)
    assert await w.engine.methods_for(after.order) == []
    with pytest.raises(Exception, match="paused"):
        await w.reserve(view, "tg:2")
    assert (await w.view(view.order.id)).order.paid_count == 1
    [payment] = await w.payments(view.order.id)
    assert payment.status == PaymentStatus.CAPTURED


async def test_an_unfinished_sign_up_leaves_cards_off_until_stripe_enables_them(
    w: StripeWorld,
) -> None:
    account_id = await _onboarded(w, complete=False)
    account = await w.engine.payout_account(w.payee)
    assert account is not None
    assert account.state == PayoutState.RESTRICTED
    view = await w.order("20", 1)
    assert view.order.card_account == account_id
    with pytest.raises(Exception, match="paused"):
        await w.reserve(view, "tg:1")
    fresh = await w.engine.connect_payouts(w.payee)  # "finish Stripe's steps"
    await w.admin.onboard(fresh.url)
    await _heard(w, PayoutState.ENABLED)
    sub = await w.reserve(view, "tg:1")
    assert sub.checkout_ref is not None
    assert (await w.admin.intent(sub.checkout_ref))["transfer_data"]["destination"] == account_id


async def test_without_an_account_no_connect_parameter_is_sent(w: StripeWorld) -> None:
    view = await w.order("20", 1)
    assert view.order.card_account is None
    sub = await w.reserve(view, "tg:1")
    assert sub.checkout_ref is not None
    intent = await w.admin.intent(sub.checkout_ref)
    assert intent.get("transfer_data") is None
    assert intent.get("application_fee_amount") is None


async def test_cancelling_an_order_refunds_its_paid_parts_out_of_the_payees_account(
    w: StripeWorld,
) -> None:
    account_id = await _onboarded(w)
    platform_before = await w.admin.balance()
    view = await w.order("90", 3)
    sub = await w.reserve(view, "tg:1")
    assert sub.checkout_ref is not None
    await w.admin.pay(sub.checkout_ref)
    await w.gate.arrival(INTENT_SUCCEEDED, sub.checkout_ref)
    assert (await w.admin.balance(account_id)).get("usd") == 3000 - 75
    result = await w.engine.cancel_order(view.order.id, w.payee)
    assert [p.payout_account for p in result.refunded] == [account_id]
    assert await w.admin.refunded_minor(sub.checkout_ref) == 3000
    [transfer] = await w.admin.transfers(account_id)
    assert (transfer["amount_reversed"], transfer["reversed"]) == (3000, True)
    assert (await w.admin.balance(account_id)).get("usd", 0) == 0
    assert (await w.admin.balance()).get("usd", 0) == platform_before.get("usd", 0)
    [payment] = await w.payments(view.order.id)
    assert payment.status == PaymentStatus.REFUNDED
