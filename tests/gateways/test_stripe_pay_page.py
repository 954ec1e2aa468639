"""GET /pay/stripe/{token}: Stripe.js and the client secret for the one intent; strict headers."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator, Callable

import httpx
import pytest

from core.domain.model import SubOrder
from core.usecases.deps import OrderView
from gateways.stripe.gateway import StripeGateway
from tests.gateways.stripe_rig import (
    API_KEY,
    LINK_KEY,
    PUBLISHABLE_KEY,
    WEBHOOK_SECRET,
    Localstripe,
    free_port,
)
from tests.gateways.stripe_world import (
    RecordingStripe,
    StripeWorld,
    app_over,
    engine_over,
    make_gateway,
)
from tests.support.fakes.gateway import FakeGateway
from tests.support.harness import build_rig, request
from tests.support.tokens import another_mac
from tests.web.conftest import client_for, make_app
from web.pages.stripe_pay import StripeDesk


@pytest.fixture
async def browser(stripe_world: StripeWorld) -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient(timeout=10) as client:
        yield client


async def _reserved(w: StripeWorld, title: str = "Dinner") -> tuple[OrderView, SubOrder, str]:
    view = await w.engine.create_order(w.payee, request("100", 2, title=title))
    sub = await w.reserve(view, "tg:1")
    assert sub.checkout_ref is not None
    assert sub.checkout_url is not None
    return view, sub, sub.checkout_url


def test_the_gateway_is_what_the_page_needs() -> None:
    desk: type[StripeDesk] = StripeGateway  # mypy checks the structural match here
    assert desk is StripeGateway


async def test_the_page_mounts_stripe_js_with_the_intents_secret(
    stripe_world: StripeWorld, browser: httpx.AsyncClient
) -> None:
    w = stripe_world
    _, sub, url = await _reserved(w)
    assert url.startswith(f"{w.listener.base_url}/pay/stripe/")
    page = await browser.get(url)
    assert page.status_code == 200
    intent = await w.admin.intent(sub.checkout_ref or "")
    html = page.text
    assert f'data-secret="{intent["client_secret"]}"' in html
    assert f'data-key="{PUBLISHABLE_KEY}"' in html
    assert "50.00 USD" in html
    for secret in (API_KEY, WEBHOOK_SECRET):
        assert secret not in html
    nonce = re.search(r"'nonce-([A-Za-z0-9_-]+)'", page.headers["content-security-policy"])
    assert nonce is not None
    scripts = re.findall(r"<script([^>]*)>", html)
    assert scripts == [
        f' src="{w.gateway.js_url}" nonce="{nonce.group(1)}"',
        f' nonce="{nonce.group(1)}"',
    ]


async def test_the_page_keeps_strict_headers(
    stripe_world: StripeWorld, browser: httpx.AsyncClient
) -> None:
    _, _, url = await _reserved(stripe_world)
    page = await browser.get(url)
    csp = page.headers["content-security-policy"]
    origin = stripe_world.gateway.js_url.split("/js.stripe.com")[0]
    assert "default-src 'none'" in csp
    assert "script-src 'nonce-" in csp
    assert f" {origin};" in csp
    assert "frame-ancestors 'none'" in csp
    assert "unsafe-eval" not in csp
    assert page.headers["cache-control"] == "no-store"
    assert page.headers["referrer-policy"] == "origin"  # the token never leaves in a Referer
    assert page.headers["x-content-type-options"] == "nosniff"


async def test_the_order_title_is_escaped(
    stripe_world: StripeWorld, browser: httpx.AsyncClient
) -> None:
    _, _, url = await _reserved(stripe_world, title='<img src=x onerror="alert(1)">')
    html = (await browser.get(url)).text
    assert "<img" not in html
    assert "&lt;img src=x onerror=&quot;alert(1)&quot;&gt;" in html


async def test_a_paid_intent_shows_paid_and_no_form(
    stripe_world: StripeWorld, browser: httpx.AsyncClient
) -> None:
    _, sub, url = await _reserved(stripe_world)
    await stripe_world.admin.pay(sub.checkout_ref or "")
    page = await browser.get(url)
    assert "Paid. Thank you!" in page.text
    back = f'href="/pay/return/stripe/{sub.checkout_ref}">Back to the order</a>'
    assert back in page.text
    assert "<script" not in page.text
    assert "data-secret" not in page.text
    assert "script-src" not in page.headers["content-security-policy"]


async def test_a_declined_intent_sends_the_payer_back_to_the_order(
    stripe_world: StripeWorld, browser: httpx.AsyncClient
) -> None:
    _, sub, url = await _reserved(stripe_world)
    await stripe_world.admin.pay(sub.checkout_ref or "", "pm_card_chargeCustomerFail")
    page = await browser.get(url)
    assert "declined" in page.text
    assert f'href="/pay/return/stripe/{sub.checkout_ref}">Try again</a>' in page.text
    assert "<form" not in page.text


@pytest.mark.parametrize(
    "spoil",
    [
        another_mac,  # another MAC
        lambda t: t.split(".")[0],  # the intent id alone
        lambda t: "pi_x." + t.split(".")[1],  # this MAC on another id
        lambda t: t + "%00",
    ],
)
async def test_a_token_that_is_not_ours_finds_nothing(
    stripe_world: StripeWorld, browser: httpx.AsyncClient, spoil: Callable[[str], str]
) -> None:
    _, _, url = await _reserved(stripe_world)
    base, token = url.rsplit("/", 1)
    spoiled = spoil(token)
    page = await browser.get(f"{base}/{spoiled}")
    # a NUL is refused before any route: no store can hold it (web.unreadable)
    assert page.status_code == (422 if spoiled.endswith("%00") else 404)
    assert "data-secret" not in page.text


async def test_without_the_stripe_gateway_there_is_no_stripe_page() -> None:
    rig = build_rig()  # the fake gateway only
    async with client_for(make_app(rig)) as client:
        page = await client.get("/pay/stripe/pi_abc." + "A" * 32)
    assert page.status_code == 404


async def test_stripe_out_of_reach_shows_try_again(stripe_world: StripeWorld) -> None:
    _, _, url = await _reserved(stripe_world)
    down = RecordingStripe(
        API_KEY,
        PUBLISHABLE_KEY,
        WEBHOOK_SECRET,
        "https://chipin.example",
        LINK_KEY,
        api_base=f"http://127.0.0.1:{free_port()}",
        network_retries=0,
    )
    engine, *_ = engine_over(down)
    try:
        async with client_for(app_over(engine, "https://chipin.example")) as client:
            page = await client.get(f"/pay/stripe/{url.rsplit('/', 1)[1]}")
    finally:
        await down.close()
    assert page.status_code == 503
    assert "Try again" in page.text


async def test_a_payer_of_the_rest_api_can_choose_stripe(localstripe: Localstripe) -> None:
    """Several gateways on at once: the reserve call names one, or gets the default."""
    stripe = make_gateway(localstripe, "https://chipin.example")
    engine, *_ = engine_over(FakeGateway(), stripe)
    _payee, key = await engine.create_api_key("Ann")
    try:
        async with client_for(app_over(engine, "https://chipin.example")) as client:
            made = await client.post(
                "/api/v1/orders",
                json={"total": "100", "payers": 3},
                headers={"Authorization": f"Bearer {key}"},
            )
            token = made.json()["pay_url"].rsplit("/", 1)[1]
            chosen = await client.post(
                f"/api/v1/pay/{token}/reserve", json={"payer": "bob", "gateway": "stripe"}
            )
            default = await client.post(f"/api/v1/pay/{token}/reserve", json={"payer": "cy"})
            unknown = await client.post(
                f"/api/v1/pay/{token}/reserve", json={"payer": "di", "gateway": "paypal"}
            )
            page = await client.get(chosen.json()["checkout_url"].split("chipin.example")[1])
    finally:
        await stripe.close()
    assert chosen.status_code == 201
    assert chosen.json()["checkout_url"].startswith("https://chipin.example/pay/stripe/pi_")
    assert default.json()["checkout_url"].startswith("https://pay.test/")  # the fake's
    assert (unknown.status_code, unknown.json()["error"]) == (422, "invalid_input")
    assert unknown.json()["message"].endswith("choose one of: fake, stripe")
    assert page.status_code == 200
    assert "33.34 USD" in page.text


async def test_a_browser_back_from_the_stripe_page_sees_its_part_paid(
    stripe_world: StripeWorld, browser: httpx.AsyncClient
) -> None:
    w = stripe_world
    view = await w.order("100", 2)
    base = w.listener.base_url
    sent = await browser.post(f"{base}/pay/{view.order.token}", data={"name": "Bob"})
    assert sent.status_code == 303
    intent = sent.headers["location"].rsplit("/", 1)[1].split(".")[0]
    form = await browser.get(sent.headers["location"])
    assert f'id="pay-next-link" class="next" href="/pay/return/stripe/{intent}">' in form.text
    await w.admin.pay(intent)
    back = await browser.get(f"{base}/pay/return/stripe/{intent}")
    assert back.status_code == 303
    assert back.headers["location"] == f"/pay/{view.order.token}"
    paid = await browser.get(base + back.headers["location"])
    assert "Your part is paid." in paid.text
    assert (await w.view(view.order.id)).order.paid_count == 1
