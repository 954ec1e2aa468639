"""The Stripe gateway against localstripe: PaymentIntents made, read, cancelled, captured..."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator, Callable
from typing import Any
from urllib.parse import parse_qs

import httpx
import pytest

from core.domain.errors import GatewayFinal, GatewayRetryable
from core.ports.store import CheckoutStatus
from gateways.stripe import StripeGateway
from tests.gateways.conftest import checkout_request
from tests.gateways.stripe_rig import API_KEY, WEBHOOK_SECRET, Admin, Localstripe, free_port
from tests.gateways.stripe_world import RecordingStripe, make_gateway
from tests.support.tokens import another_mac

PUBLIC = "https://chipin.example"


class Recorder(httpx.AsyncBaseTransport):
    """Passes requests on to localstripe and keeps them, to read what was sent."""

    def __init__(self) -> None:
        self.inner = httpx.AsyncHTTPTransport()
        self.requests: list[httpx.Request] = []

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        await request.aread()
        self.requests.append(request)
        return await self.inner.handle_async_request(request)

    async def aclose(self) -> None:
        await self.inner.aclose()

    def posts(self, path_end: str) -> list[httpx.Request]:
        return [r for r in self.requests if r.method == "POST" and r.url.path.endswith(path_end)]


@pytest.fixture
def recorder() -> Recorder:
    return Recorder()


@pytest.fixture
async def gw(localstripe: Localstripe, recorder: Recorder) -> AsyncIterator[RecordingStripe]:
    gateway = make_gateway(localstripe, PUBLIC, transport=recorder)
    yield gateway
    await gateway.close()


@pytest.fixture
async def admin(localstripe: Localstripe) -> AsyncIterator[Admin]:
    found = Admin(localstripe.base_url)
    yield found
    await found.close()


def form(request: httpx.Request) -> dict[str, list[str]]:
    return parse_qs(request.content.decode())


async def test_a_checkout_is_one_payment_intent_for_the_exact_amount(
    gw: StripeGateway, admin: Admin, recorder: Recorder
) -> None:
    checkout = await gw.create_checkout(checkout_request("co_sub_1_1", 1250, "USD"))
    intent = await admin.intent(checkout.ref)
    assert (intent["amount"], intent["currency"]) == (1250, "usd")
    assert intent["metadata"] == {
        "chipin_sub_order": "sub_1",
        "chipin_order": "ord_1",
        "chipin_description": "Dinner at Luigi's",
    }
    assert intent["capture_method"] != "manual"
    [sent] = recorder.posts("/v1/payment_intents")
    assert sent.headers["Idempotency-Key"] == "co_sub_1_1"
    assert checkout.url.startswith(f"{PUBLIC}/pay/stripe/{checkout.ref}.")


async def test_mode_all_asks_for_manual_capture(gw: StripeGateway, admin: Admin) -> None:
    checkout = await gw.create_checkout(checkout_request(capture_manual=True))
    assert (await admin.intent(checkout.ref))["capture_method"] == "manual"


async def test_a_zero_decimal_currency_keeps_its_units(gw: StripeGateway, admin: Admin) -> None:
    checkout = await gw.create_checkout(checkout_request(amount_minor=3334, currency="JPY"))
    intent = await admin.intent(checkout.ref)
    assert (intent["amount"], intent["currency"]) == (3334, "jpy")
    state = await gw.retrieve(checkout.ref)
    assert (state.amount_minor, state.currency) == (3334, "JPY")


async def test_a_non_positive_amount_is_refused_before_any_call(
    gw: StripeGateway, recorder: Recorder
) -> None:
    with pytest.raises(GatewayFinal):
        await gw.create_checkout(checkout_request(amount_minor=0))
    assert recorder.requests == []


async def test_retrieve_follows_the_intent_through_its_life(
    gw: StripeGateway, admin: Admin
) -> None:
    open_ = await gw.create_checkout(checkout_request("k1"))
    assert (await gw.retrieve(open_.ref)).status == CheckoutStatus.OPEN
    assert (await gw.retrieve(open_.ref)).payment_ref is None
    declined = await gw.create_checkout(checkout_request("k2"))
    await admin.pay(declined.ref, "pm_card_chargeCustomerFail")
    assert (await gw.retrieve(declined.ref)).status == CheckoutStatus.FAILED
    held = await gw.create_checkout(checkout_request("k3", capture_manual=True))
    await admin.pay(held.ref)
    state = await gw.retrieve(held.ref)
    assert (state.status, state.payment_ref) == (CheckoutStatus.AUTHORISED, held.ref)
    paid = await gw.create_checkout(checkout_request("k4"))
    await admin.pay(paid.ref)
    state = await gw.retrieve(paid.ref)
    assert (state.status, state.payment_ref, state.amount_minor) == (
        CheckoutStatus.SUCCEEDED,
        paid.ref,
        1250,
    )
    await gw.cancel_checkout(open_.ref, "cancel_k1")
    assert (await gw.retrieve(open_.ref)).status == CheckoutStatus.CANCELLED


async def test_cancelling_a_checkout_twice_is_harmless(
    gw: StripeGateway, admin: Admin, recorder: Recorder
) -> None:
    checkout = await gw.create_checkout(checkout_request())
    await gw.cancel_checkout(checkout.ref, "cancel_co_sub_1_1")
    await gw.cancel_checkout(checkout.ref, "cancel_co_sub_1_1")
    assert (await admin.intent(checkout.ref))["status"] == "canceled"
    [sent] = recorder.posts("/cancel")
    assert sent.headers["Idempotency-Key"] == "cancel_co_sub_1_1"


@pytest.mark.parametrize(("manual", "status"), [(False, "succeeded"), (True, "requires_capture")])
async def test_a_checkout_with_money_on_it_is_not_cancelled(
    gw: StripeGateway, admin: Admin, manual: bool, status: str
) -> None:
    """The engine looks it up next and settles, refunds or voids it with a record."""
    checkout = await gw.create_checkout(checkout_request(capture_manual=manual))
    await admin.pay(checkout.ref)
    await gw.cancel_checkout(checkout.ref, "cancel_1")
    assert (await admin.intent(checkout.ref))["status"] == status


async def test_capture_takes_the_authorised_money_once(
    gw: StripeGateway, admin: Admin, recorder: Recorder
) -> None:
    checkout = await gw.create_checkout(checkout_request(capture_manual=True))
    await admin.pay(checkout.ref)
    await gw.capture(checkout.ref, "capture_pending_pmt_1")
    await gw.capture(checkout.ref, "capture_pending_pmt_1")  # a retry after a lost answer
    assert (await admin.intent(checkout.ref))["status"] == "succeeded"
    assert recorder.posts("/capture")[0].headers["Idempotency-Key"] == "capture_pending_pmt_1"


async def test_void_releases_the_authorisation_once(gw: StripeGateway, admin: Admin) -> None:
    checkout = await gw.create_checkout(checkout_request(capture_manual=True))
    await admin.pay(checkout.ref)
    await gw.void(checkout.ref, "void_pending_pmt_1")
    await gw.void(checkout.ref, "void_pending_pmt_1")
    assert (await admin.intent(checkout.ref))["status"] == "canceled"


async def test_refund_gives_the_amount_back_with_its_key(
    gw: StripeGateway, admin: Admin, recorder: Recorder
) -> None:
    checkout = await gw.create_checkout(checkout_request(amount_minor=4000))
    await admin.pay(checkout.ref)
    await gw.refund(checkout.ref, 4000, "refund_pending_pmt_1")
    assert await admin.refunded_minor(checkout.ref) == 4000
    [sent] = recorder.posts("/v1/refunds")
    assert sent.headers["Idempotency-Key"] == "refund_pending_pmt_1"
    assert form(sent) == {"payment_intent": [checkout.ref], "amount": ["4000"]}


async def test_refunding_a_declined_payment_is_refused_for_good(
    gw: StripeGateway, admin: Admin
) -> None:
    checkout = await gw.create_checkout(checkout_request())
    await admin.pay(checkout.ref, "pm_card_chargeCustomerFail")
    with pytest.raises(GatewayFinal):
        await gw.refund(checkout.ref, 1250, "refund_1")


async def test_an_unknown_intent_is_refused_for_good(gw: StripeGateway) -> None:
    with pytest.raises(GatewayFinal, match="InvalidRequestError 404"):
        await gw.retrieve("pi_doesnotexist")


async def test_stripe_out_of_reach_is_worth_a_retry(localstripe: Localstripe) -> None:
    gateway = make_gateway(localstripe, PUBLIC, api_base=f"http://127.0.0.1:{free_port()}")
    try:
        with pytest.raises(GatewayRetryable, match="APIConnectionError"):
            await gateway.create_checkout(checkout_request())
    finally:
        await gateway.close()


def _answering(status: int, body: dict[str, Any]) -> Callable[[httpx.Request], httpx.Response]:
    def answer(request: httpx.Request) -> httpx.Response:
        return httpx.Response(status, json=body)

    return answer


@pytest.mark.parametrize(
    ("status", "error_type", "expected"),
    [
        (500, "api_error", GatewayRetryable),
        (503, "api_error", GatewayRetryable),
        (429, "invalid_request_error", GatewayRetryable),
        (409, "idempotency_error", GatewayRetryable),
        (402, "card_error", GatewayFinal),
        (400, "invalid_request_error", GatewayFinal),
        (401, "invalid_request_error", GatewayFinal),
    ],
)
async def test_stripe_errors_split_into_retry_and_final(
    localstripe: Localstripe, status: int, error_type: str, expected: type[Exception]
) -> None:
    body = {"error": {"type": error_type, "code": "x", "message": "no"}}
    transport = httpx.MockTransport(_answering(status, body))
    gateway = make_gateway(localstripe, PUBLIC, transport=transport)
    try:
        with pytest.raises(expected):
            await gateway.create_checkout(checkout_request())
    finally:
        await gateway.close()


async def test_the_pay_page_token_opens_only_its_own_intent(
    gw: StripeGateway, admin: Admin
) -> None:
    checkout = await gw.create_checkout(checkout_request(capture_manual=True))
    token = checkout.url.rsplit("/", 1)[1]
    page = await gw.pay_page(token)
    assert page is not None
    intent = await admin.intent(checkout.ref)
    assert page.client_secret == intent["client_secret"]
    assert (page.amount_minor, page.currency, page.status, page.manual) == (
        1250,
        "USD",
        CheckoutStatus.OPEN,
        True,
    )
    assert intent["client_secret"] not in repr(page)
    other = await gw.create_checkout(checkout_request("k_other"))
    forged = f"{other.ref}.{token.split('.')[1]}"  # another intent with this token's MAC
    assert await gw.pay_page(forged) is None
    assert await gw.pay_page(another_mac(token)) is None


async def test_the_pay_page_of_an_intent_chipin_did_not_make_is_not_shown(
    gw: StripeGateway, admin: Admin
) -> None:
    foreign = await admin.create_intent(1000, "usd")
    assert await gw.pay_page(gw.pay_url(foreign).rsplit("/", 1)[1]) is None


async def test_no_key_or_client_secret_reaches_the_logs(
    gw: StripeGateway, admin: Admin, caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level(logging.DEBUG):
        checkout = await gw.create_checkout(checkout_request())
        page = await gw.pay_page(checkout.url.rsplit("/", 1)[1])
        await admin.pay(checkout.ref)
        await gw.refund(checkout.ref, 1250, "r1")
    assert page is not None
    for secret in (API_KEY, WEBHOOK_SECRET, page.client_secret):
        assert secret not in caplog.text
    assert "payment intent" in caplog.text  # the gateway did log, just not its secrets
