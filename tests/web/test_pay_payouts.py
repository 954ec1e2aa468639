"""Payers and the payee's own Stripe account: the card page says where the money goes and
the platform's fee; a paused account or a hold longer than a card's is refused in clear
words, on the pay page and the API alike, and nothing is reserved."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest

from core.ports.store import CheckoutStatus
from gateways.stripe.gateway import PayPage
from tests.support.harness import Rig, build_rig
from tests.web.conftest import Api, client_for, make_app, token_of
from tests.web.connect import (
    CardGateway,
    SandboxGateway,
    SignedPayouts,
    api_over,
    enabled_account,
    with_connect,
)
from web.api.render import PAYOUT_PAUSED
from web.pages.stripe_pay import TO_PAYEE

PI_TOKEN = "pi_abc." + "A" * 32


class StripeDesk(CardGateway):
    """The card gateway with Stripe's pay page (web.pages.stripe_pay.StripeDesk)."""

    publishable_key = "pk_test_desk"
    js_url = "https://js.stripe.com/v3/"

    def __init__(self) -> None:
        super().__init__()
        self.pages: dict[str, PayPage] = {}

    async def pay_page(self, token: str) -> PayPage | None:
        return self.pages.get(token)


def _intent(to_payee: bool, fee_minor: int, currency: str = "USD", amount: int = 5000) -> PayPage:
    return PayPage(
        client_secret="pi_abc_secret_xyz",
        amount_minor=amount,
        currency=currency,
        status=CheckoutStatus.OPEN,
        description="Dinner",
        manual=False,
        to_payee=to_payee,
        fee_minor=fee_minor,
    )


async def _stripe_page(intent: PayPage) -> httpx.Response:
    desk = StripeDesk()
    desk.pages[PI_TOKEN] = intent
    async with client_for(make_app(build_rig(gateways=[desk]))) as client:
        return await client.get(f"/pay/stripe/{PI_TOKEN}")


@pytest.mark.parametrize(
    ("currency", "amount", "fee", "says"),
    [
        ("USD", 5000, 125, "Of it, 1.25 USD is the platform&#x27;s fee."),
        ("JPY", 5000, 150, "Of it, 150 JPY is the platform&#x27;s fee."),
        ("USD", 5000, 0, None),
    ],
)
async def test_a_destination_charge_says_where_the_money_goes_before_the_card_form(
    currency: str, amount: int, fee: int, says: str | None
) -> None:
    page = await _stripe_page(_intent(True, fee, currency, amount))
    assert page.status_code == 200
    html = page.text
    told = TO_PAYEE.replace("'", "&#x27;")
    assert told in html
    assert html.index(told) < html.index('id="pay-form"')
    if says is None:
        assert "platform" not in html
    else:
        assert says in html
        assert html.index(says) < html.index('id="pay-form"')


async def test_a_charge_to_the_operator_says_nothing_of_a_payee_account() -> None:
    page = await _stripe_page(_intent(False, 0))
    assert page.status_code == 200
    assert "own Stripe account" not in page.text
    assert "platform" not in page.text


async def test_a_paid_destination_charge_shows_only_that_it_is_paid() -> None:
    paid = PayPage("pi_abc_secret_xyz", 5000, "USD", CheckoutStatus.SUCCEEDED, "", False, True, 9)
    page = await _stripe_page(paid)
    assert "Paid. Thank you!" in page.text
    assert "<form" not in page.text


# ---- refusals on the pay page and the API ----


@pytest.fixture
def payouts() -> SignedPayouts:
    return SignedPayouts()


@pytest.fixture
async def card_only(rig: Rig, payouts: SignedPayouts) -> AsyncIterator[Api]:
    """Cards are the only way to pay (Stripe, with Connect on)."""
    async with api_over(with_connect(rig, payouts, CardGateway())) as api:
        yield api


@pytest.fixture
async def card_and_sandbox(rig: Rig, payouts: SignedPayouts) -> AsyncIterator[Api]:
    """Cards (the default) and a sandbox beside them."""
    async with api_over(with_connect(rig, payouts, CardGateway(), SandboxGateway())) as api:
        yield api


async def _paused(api: Api, payouts: SignedPayouts) -> dict[str, Any]:
    """Ann's order, bound to her Stripe account when made; then Stripe restricted it."""
    ann = await api.rig.engine.payee_named("Ann")
    account_id = await enabled_account(api.rig, payouts, ann)
    order = await api.create(total="90", payers=3)
    payouts.restrict(account_id)
    await api.rig.engine.sync_payout_account(account_id)
    return order


async def _held(api: Api, order: dict[str, Any]) -> list[str]:
    view = await api.rig.engine.public_order(token_of(order))
    return [s.state.value for s in view.subs if s.payer_ref]


async def test_a_paused_account_is_refused_in_clear_words_when_cards_are_all_there_is(
    card_only: Api, payouts: SignedPayouts
) -> None:
    api = card_only
    order = await _paused(api, payouts)
    url = f"/pay/{token_of(order)}"
    refused = await api.client.post(url, data={"name": "Bob"})
    assert refused.status_code == 409
    assert PAYOUT_PAUSED in refused.text
    assert "only in Telegram" not in refused.text
    assert "information from you" not in refused.text  # the payee's words, not the payer's
    assert await _held(api, order) == []

    by_api = await api.reserve(order, "bob", gateway="stripe")
    assert by_api.status_code == 422
    assert by_api.json() == {
        "error": "unsupported",
        "message": PAYOUT_PAUSED,
        "gateway": "stripe",
        "reason": "payout_paused",
    }
    assert await _held(api, order) == []

    [account_id] = payouts.statuses
    payouts.enable(account_id)  # Stripe enabled it again
    await api.rig.engine.sync_payout_account(account_id)
    paid = await api.client.post(url, data={"name": "Bob"})
    assert paid.status_code == 303
    assert await _held(api, order) == ["reserved"]


async def test_a_paused_account_leaves_the_other_ways_to_pay(
    card_and_sandbox: Api, payouts: SignedPayouts
) -> None:
    api = card_and_sandbox
    order = await _paused(api, payouts)
    url = f"/pay/{token_of(order)}"
    page = await api.client.get(url)
    assert "Card (Stripe)" not in page.text  # not offered while paused
    stale = await api.client.post(url, data={"name": "Bob", "gateway": "stripe"})
    assert stale.status_code == 409  # a page loaded before Stripe paused the account
    assert PAYOUT_PAUSED in stale.text
    assert await _held(api, order) == []
    sandbox = await api.client.post(url, data={"name": "Bob"})
    assert sandbox.status_code == 303
    view = await api.rig.engine.public_order(token_of(order))
    assert [s.gateway for s in view.subs if s.payer_ref] == ["sandbox"]


async def test_a_group_buy_longer_than_a_card_holds_is_refused_cards_in_clear_words(
    card_and_sandbox: Api,
) -> None:
    api = card_and_sandbox
    order = await api.create(total="90", payers=3, mode="all", expires_in="10d")
    url = f"/pay/{token_of(order)}"
    assert "Card (Stripe)" not in (await api.client.get(url)).text
    refused = await api.client.post(url, data={"name": "Bob", "gateway": "stripe"})
    assert refused.status_code == 409
    assert "holds money for at most 7 days" in refused.text
    assert "choose another payment method" in refused.text
    by_api = await api.reserve(order, "bob", gateway="stripe")
    assert by_api.status_code == 422
    assert (by_api.json()["error"], by_api.json()["reason"]) == ("unsupported", "hold_lifetime")
    assert "at most 7 days" in by_api.json()["message"]
    assert await _held(api, order) == []
