"""The hosted checkout page: plain HTML forms; POST, then 303 back to a page with the outcome."""

from __future__ import annotations

from collections.abc import AsyncIterator

import httpx
import pytest
from starlette.applications import Starlette

from core.ports.store import CheckoutRequest, CheckoutStatus
from gateways.sandbox import SandboxGateway
from tests.gateways.conftest import Receiver, checkout_request


@pytest.fixture
async def browser(gateway: SandboxGateway) -> AsyncIterator[httpx.AsyncClient]:
    """A client of an app that mounts only the sandbox's routes, as the composition root does."""
    app = Starlette(routes=gateway.routes())
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="https://chipin.test") as client:
        yield client


async def new_checkout(gateway: SandboxGateway, request: CheckoutRequest | None = None) -> str:
    checkout = await gateway.create_checkout(request or checkout_request())
    return checkout.ref


async def press(browser: httpx.AsyncClient, ref: str, button: str) -> httpx.Response:
    """Submit a form as a browser would, then follow the 303 to the page."""
    response = await browser.post(f"/sandbox/checkout/{ref}/{button}")
    assert response.status_code == 303
    assert response.headers["location"].startswith(f"/sandbox/checkout/{ref}")
    page = await browser.get(response.headers["location"])
    assert page.status_code == 200
    return page


async def test_an_open_checkout_shows_what_and_how_much_with_two_forms(
    gateway: SandboxGateway, browser: httpx.AsyncClient
) -> None:
    ref = await new_checkout(
        gateway, checkout_request(amount_minor=123456, description="Dinner at Luigi's")
    )
    page = await browser.get(f"/sandbox/checkout/{ref}")
    assert page.status_code == 200
    assert page.headers["content-type"].startswith("text/html")
    assert "1,234.56 USD" in page.text
    assert "Dinner at Luigi&#x27;s" in page.text
    assert f'<form method="post" action="/sandbox/checkout/{ref}/pay">' in page.text
    assert f'<form method="post" action="/sandbox/checkout/{ref}/decline">' in page.text
    assert '<meta name="viewport"' in page.text
    assert "<script" not in page.text
    assert page.headers["cache-control"] == "no-store"
    assert page.headers["referrer-policy"] == "no-referrer"


async def test_amounts_follow_the_currency(
    gateway: SandboxGateway, browser: httpx.AsyncClient
) -> None:
    ref = await new_checkout(gateway, checkout_request(amount_minor=1500, currency="JPY"))
    assert "1,500 JPY" in (await browser.get(f"/sandbox/checkout/{ref}")).text


async def test_all_text_is_escaped(gateway: SandboxGateway, browser: httpx.AsyncClient) -> None:
    ref = await new_checkout(
        gateway, checkout_request(description='<script>alert("x")</script> & co')
    )
    text = (await browser.get(f"/sandbox/checkout/{ref}")).text
    assert "<script>" not in text
    assert "&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt; &amp; co" in text


async def test_paying_redirects_to_a_page_that_says_paid(
    gateway: SandboxGateway, browser: httpx.AsyncClient, receiver: Receiver
) -> None:
    ref = await new_checkout(gateway)
    page = await press(browser, ref, "pay")
    assert "Paid" in page.text
    assert "<form" not in page.text
    assert (await gateway.retrieve(ref)).status == CheckoutStatus.SUCCEEDED
    await gateway.deliver_due()
    assert receiver.types() == ["checkout.succeeded"]


async def test_paying_twice_charges_once_and_says_already_paid(
    gateway: SandboxGateway, browser: httpx.AsyncClient, receiver: Receiver
) -> None:
    ref = await new_checkout(gateway)
    await press(browser, ref, "pay")
    page = await press(browser, ref, "pay")
    assert "already paid" in page.text
    await gateway.deliver_due()
    assert receiver.types() == ["checkout.succeeded"]


async def test_a_manual_capture_checkout_says_authorised(
    gateway: SandboxGateway, browser: httpx.AsyncClient
) -> None:
    ref = await new_checkout(gateway, checkout_request(capture_manual=True))
    page = await press(browser, ref, "pay")
    assert "Authorised — will be charged when everyone has paid" in page.text


async def test_declining_says_declined_and_then_cannot_pay(
    gateway: SandboxGateway, browser: httpx.AsyncClient, receiver: Receiver
) -> None:
    ref = await new_checkout(gateway)
    assert "Declined" in (await press(browser, ref, "decline")).text
    page = await press(browser, ref, "pay")
    assert "declined; it cannot be paid" in page.text
    await gateway.deliver_due()
    assert receiver.types() == ["checkout.failed"]


async def test_a_cancelled_checkout_says_so_and_takes_no_money(
    gateway: SandboxGateway, browser: httpx.AsyncClient, receiver: Receiver
) -> None:
    ref = await new_checkout(gateway)
    await gateway.cancel_checkout(ref, "cancel_1")
    assert "This checkout was cancelled" in (await browser.get(f"/sandbox/checkout/{ref}")).text
    page = await press(browser, ref, "pay")
    assert "cancelled; nothing was charged" in page.text
    assert (await gateway.retrieve(ref)).payment_ref is None
    await gateway.deliver_due()
    assert receiver.requests == []


async def test_refunds_and_voids_show_on_the_page(
    gateway: SandboxGateway, browser: httpx.AsyncClient
) -> None:
    captured = await new_checkout(gateway, checkout_request(key="co_1"))
    authorised = await new_checkout(gateway, checkout_request(key="co_2", capture_manual=True))
    await gateway.pay(captured)
    await gateway.pay(authorised)
    captured_payment = (await gateway.retrieve(captured)).payment_ref
    authorised_payment = (await gateway.retrieve(authorised)).payment_ref
    assert captured_payment is not None
    assert authorised_payment is not None
    await gateway.refund(captured_payment, 1250, "refund_1")
    await gateway.void(authorised_payment, "void_1")
    assert "refunded" in (await browser.get(f"/sandbox/checkout/{captured}")).text
    assert "not charged" in (await browser.get(f"/sandbox/checkout/{authorised}")).text


@pytest.mark.parametrize(
    "path",
    [
        "/sandbox/checkout/cs_unknown",
        "/sandbox/checkout/not-a-ref",
        "/sandbox/checkout/cs_" + "a" * 100,
    ],
)
async def test_unknown_checkouts_are_404_pages(browser: httpx.AsyncClient, path: str) -> None:
    page = await browser.get(path)
    assert page.status_code == 404
    assert "Checkout not found" in page.text
    for button in ("pay", "decline"):
        assert (await browser.post(f"{path}/{button}")).status_code == 404


async def test_the_notice_shows_only_known_codes(
    gateway: SandboxGateway, browser: httpx.AsyncClient
) -> None:
    ref = await new_checkout(gateway)
    page = await browser.get(f"/sandbox/checkout/{ref}", params={"r": "<b>pwned</b>"})
    assert "pwned" not in page.text


async def test_pages_need_no_get_to_change_anything(
    gateway: SandboxGateway, browser: httpx.AsyncClient
) -> None:
    ref = await new_checkout(gateway)
    assert (await browser.get(f"/sandbox/checkout/{ref}/pay")).status_code == 405
    assert (await gateway.retrieve(ref)).status == CheckoutStatus.OPEN


async def test_a_stopped_gateway_answers_503(
    browser: httpx.AsyncClient, gateway: SandboxGateway
) -> None:
    ref = await new_checkout(gateway)
    await gateway.stop()
    assert (await browser.get(f"/sandbox/checkout/{ref}")).status_code == 503
    assert (await browser.post(f"/sandbox/checkout/{ref}/pay")).status_code == 503


async def test_the_redirect_after_a_press_is_relative_whatever_host_is_sent(
    gateway: SandboxGateway, browser: httpx.AsyncClient
) -> None:
    ref = await new_checkout(gateway)
    hostile = {"Host": "evil.example", "X-Forwarded-Host": "evil.example"}
    response = await browser.post(f"/sandbox/checkout/{ref}/pay", headers=hostile)
    assert response.status_code == 303
    assert response.headers["location"] == f"/sandbox/checkout/{ref}"


async def test_a_paid_checkout_leads_back_to_the_order(
    gateway: SandboxGateway, browser: httpx.AsyncClient
) -> None:
    ref = await new_checkout(gateway)
    page = await press(browser, ref, "pay")
    assert f'<a class="back" href="/pay/return/sandbox/{ref}">Back to the order</a>' in page.text


async def test_a_declined_checkout_offers_to_try_again(
    gateway: SandboxGateway, browser: httpx.AsyncClient
) -> None:
    ref = await new_checkout(gateway)
    page = await press(browser, ref, "decline")
    assert f'<a class="back" href="/pay/return/sandbox/{ref}">Try again</a>' in page.text


async def test_an_open_checkout_has_no_way_back_but_its_buttons(
    gateway: SandboxGateway, browser: httpx.AsyncClient
) -> None:
    ref = await new_checkout(gateway)
    assert "/pay/return/" not in (await browser.get(f"/sandbox/checkout/{ref}")).text
