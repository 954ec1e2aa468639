"""The pay page's bank transfers straight to the payee: the payee's own methods are offered
where they can work, choosing one shows its payment QR code and the same details as text,
and "I've paid" claims the part (with the UTR for UPI)."""

from __future__ import annotations

import io
import re
from html import escape, unescape
from typing import Any

import httpx
import zxingcpp
from PIL import Image

from tests.web.conftest import Api, client_for, make_app, snapshot, token_of
from web.pages.transfer import CLAIMED, EXACT, LATE_MONEY, QR_ALT

IBAN = "DE89370400440532013000"  # the IBAN registry's German example (valid check digits)
SEPA = {"kind": "sepa", "holder": "Ann Example", "iban": IBAN, "bic": "COBADEFFXXX"}
PIX = {"kind": "pix", "holder": "Ana Souza", "key": "ana@example.com", "city": "Recife"}
UPI = {"kind": "upi", "holder": "Ann Kumar", "vpa": "ann.kumar@okaxis"}
QR_IMG = re.compile(r'<img class="qr" src="([^"]+)" alt="([^"]+)">')


async def with_method(api: Api, body: dict[str, str], key: str | None = None) -> None:
    response = await api.post("/api/v1/methods", body, key)
    assert response.status_code == 201, response.text


async def choose(
    client: httpx.AsyncClient, order: dict[str, Any], method: str, name: str = "Bob"
) -> httpx.Response:
    """The order form sent with this method chosen."""
    return await client.post(f"/pay/{token_of(order)}", data={"name": name, "gateway": method})


async def claim(client: httpx.AsyncClient, order: dict[str, Any], **form: str) -> httpx.Response:
    return await client.post(f"/pay/{token_of(order)}/claim", data=form)


def secret_in(client: httpx.AsyncClient, order: dict[str, Any]) -> str:
    """The hold secret the payer cookie keeps for this order."""
    _browser, *holds = client.cookies["chipin_payer"].split(".")
    return dict(h.split("~") for h in holds)[token_of(order)]


async def api_transfer(client: httpx.AsyncClient, order: dict[str, Any]) -> dict[str, Any]:
    """How the API says to pay the browser's part (GET …/hold with the cookie's secret)."""
    path = f"/api/v1/pay/{token_of(order)}/hold"
    read = await client.get(path, headers={"Chipin-Hold": secret_in(client, order)})
    assert read.status_code == 200, read.text
    how: dict[str, Any] = read.json()["transfer"]
    return how


def qr_src(page: httpx.Response) -> str:
    found = QR_IMG.search(page.text)
    assert found is not None, page.text
    assert found[2] == QR_ALT == "Payment QR code"
    return unescape(found[1])


async def parts(api: Api, order: dict[str, Any]) -> list[str]:
    view = (await api.get(f"/api/v1/orders/{order['id']}")).json()
    return [s["state"] for s in view["sub_orders"]]


async def decoded_qr(client: httpx.AsyncClient, src: str) -> str:
    image = await client.get(src)
    assert image.status_code == 200
    assert image.headers["content-type"] == "image/png"
    (code,) = zxingcpp.read_barcodes(Image.open(io.BytesIO(image.content)))
    return str(code.text)


def options(page: httpx.Response) -> list[tuple[str, str]]:
    return re.findall(r'<option value="([^"]+)">([^<]+)</option>', page.text)


# ---- the choice of method ----


async def test_the_payees_methods_are_offered_only_where_they_can_be_used(api: Api) -> None:
    for method in (SEPA, PIX, UPI):
        await with_method(api, method)
    offered = {}
    for cur in ("EUR", "BRL", "INR", "USD"):
        order = await api.create(total="90", payers=3, currency=cur)
        offered[cur] = options(await api.client.get(f"/pay/{token_of(order)}"))
    assert offered == {
        "EUR": [("fake", "fake"), ("sepa", "Bank transfer (SEPA)")],
        "BRL": [("fake", "fake"), ("pix", "PIX")],
        "INR": [("fake", "fake"), ("upi", "UPI")],
        "USD": [],  # the gateway alone: no choice to make
    }
    all_or_nothing = await api.create(total="90", payers=3, currency="EUR", mode="all")
    assert 'value="sepa"' not in (await api.client.get(f"/pay/{token_of(all_or_nothing)}")).text
    bobs = await api.create(api.bob, total="90", payers=3, currency="EUR")  # Bob has no method
    assert 'value="sepa"' not in (await api.client.get(f"/pay/{token_of(bobs)}")).text


async def test_a_method_the_order_cannot_take_is_refused_and_nothing_is_held(api: Api) -> None:
    await with_method(api, SEPA)
    order = await api.create(total="90", payers=3, currency="USD")
    before = await snapshot(api.rig)
    refused = await choose(api.client, order, "sepa")
    assert refused.status_code == 422
    assert "Please pick how you want to pay." in refused.text
    assert await snapshot(api.rig) == before


# ---- the transfer page ----


async def test_choosing_sepa_shows_the_qr_code_and_every_detail(api: Api) -> None:
    await with_method(api, SEPA)
    order = await api.create(total="90", payers=3, currency="EUR", title="Dinner")
    page = await choose(api.client, order, "sepa")
    assert page.status_code == 200, page.text
    assert "HttpOnly" in page.headers["set-cookie"]
    csp = page.headers["content-security-policy"]
    assert "default-src 'none'" in csp
    assert "frame-ancestors 'none'" in csp
    assert "img-src 'self'" in csp
    assert "<script" not in page.text
    how = await api_transfer(api.client, order)
    for said in (
        "Pay by bank transfer (SEPA)",
        "Scan this QR code in your banking app",
        "30.00 EUR",
        "Ann Example",
        "DE89 3704 0044 0532 0130 00",  # the IBAN in groups of four
        "COBADEFFXXX",
        how["reference_printed"],
        EXACT,
        LATE_MONEY,
    ):
        assert escape(said) in page.text, said
    assert f'<form method="post" action="/pay/{token_of(order)}/claim">' in page.text
    assert "<button>I've paid</button>" in page.text
    assert "copy the reference exactly" in page.text.lower()
    assert "returned to you by the payee by hand, not by Chipin" in page.text
    assert 'name="utr"' not in page.text
    assert "copia e cola" not in page.text
    src = qr_src(page)
    assert src == how["qr_url"].removeprefix("https://chipin.test")
    assert await decoded_qr(api.client, src) == how["payload"]
    assert await parts(api, order) == ["reserved", "available", "available"]


async def test_coming_back_shows_the_same_transfer_and_another_payer_gets_another(
    api: Api,
) -> None:
    await with_method(api, SEPA)
    order = await api.create(total="90", payers=3, currency="EUR")
    first = await choose(api.client, order, "sepa")
    reference = (await api_transfer(api.client, order))["reference_printed"]
    again = await api.client.get(f"/pay/{token_of(order)}")
    assert again.status_code == 200
    assert reference in again.text
    assert qr_src(again) == qr_src(first)
    assert 'name="name"' not in again.text  # the transfer, not the order form
    resent = await choose(api.client, order, "sepa")  # the form sent again (back, resubmit)
    assert (resent.status_code, qr_src(resent)) == (200, qr_src(first))
    assert await parts(api, order) == ["reserved", "available", "available"]

    async with client_for(make_app(api.rig)) as other:
        theirs = await choose(other, order, "sepa", name="Cat")
        assert theirs.status_code == 200
        their_reference = (await api_transfer(other, order))["reference_printed"]
    assert their_reference != reference
    assert their_reference in theirs.text
    assert reference not in theirs.text
    assert await parts(api, order) == ["reserved", "reserved", "available"]


async def test_pix_shows_the_key_the_city_and_the_copia_e_cola_code(api: Api) -> None:
    await with_method(api, PIX)
    order = await api.create(total="90", payers=3, currency="BRL")
    page = await choose(api.client, order, "pix")
    assert page.status_code == 200
    how = await api_transfer(api.client, order)
    for said in ("Pay by PIX", "30.00 BRL", "Ana Souza", "PIX key", "ana@example.com", "Recife"):
        assert said in page.text, said
    assert how["reference_printed"] in page.text
    code = re.search(r'<label for="pix-code">PIX copia e cola</label><textarea ([^>]*)>', page.text)
    assert code is not None
    assert "readonly" in code[1]
    assert f">{escape(how['payload'])}</textarea>" in page.text
    assert await decoded_qr(api.client, qr_src(page)) == how["payload"]


# ---- I've paid ----


async def test_ive_paid_claims_the_part_and_coming_back_says_so(api: Api) -> None:
    await with_method(api, SEPA)
    order = await api.create(total="90", payers=3, currency="EUR")
    await choose(api.client, order, "sepa")
    reference = (await api_transfer(api.client, order))["reference"]
    claimed = await claim(api.client, order)
    assert claimed.status_code == 200, claimed.text
    assert escape(CLAIMED) in claimed.text
    assert "The payee has been asked to confirm" in claimed.text
    assert await parts(api, order) == ["claimed", "available", "available"]
    [pending] = (await api.get("/api/v1/claims")).json()["items"]
    assert (pending["reference"], pending["payer_name"], pending["amount"]) == (
        reference,
        "Bob",
        "30.00",
    )
    back = await api.client.get(f"/pay/{token_of(order)}")
    assert back.status_code == 200
    assert escape(CLAIMED) in back.text
    assert "<form" not in back.text  # nothing left to do but wait
    again = await claim(api.client, order)  # said twice: the same claim
    assert again.status_code == 200
    assert await parts(api, order) == ["claimed", "available", "available"]
    resent = await choose(api.client, order, "sepa")
    assert (resent.status_code, escape(CLAIMED) in resent.text) == (200, True)
    assert await parts(api, order) == ["claimed", "available", "available"]


async def test_a_confirmed_transfer_shows_the_part_paid(api: Api) -> None:
    await with_method(api, SEPA)
    order = await api.create(total="90", payers=3, currency="EUR")
    await choose(api.client, order, "sepa")
    reference = (await api_transfer(api.client, order))["reference"]
    await claim(api.client, order)
    confirmed = await api.post(f"/api/v1/claims/{reference}/confirm")
    assert confirmed.status_code == 200, confirmed.text
    back = await api.client.get(f"/pay/{token_of(order)}")
    assert back.status_code == 200
    assert "Your part is paid.</b> The payee confirmed your transfer." in back.text
    assert "<form" not in back.text


async def test_upi_asks_for_the_utr_and_a_claim_without_a_valid_one_changes_nothing(
    api: Api,
) -> None:
    await with_method(api, UPI)
    order = await api.create(total="900", payers=3, currency="INR")
    page = await choose(api.client, order, "upi")
    assert page.status_code == 200
    how = await api_transfer(api.client, order)
    for said in ("Scan this QR code in your UPI app.", "UPI ID", "ann.kumar@okaxis", "300.00 INR"):
        assert said in page.text, said
    assert '<label for="utr">' in page.text
    assert '<input id="utr" name="utr"' in page.text
    assert await decoded_qr(api.client, qr_src(page)) == how["payload"]
    before = await snapshot(api.rig)
    for utr in ("", "12345", "x" * 41):
        refused = await claim(api.client, order, utr=utr)
        assert refused.status_code == 422, utr
        assert "12-digit number" in refused.text
        assert how["reference_printed"] in refused.text  # the transfer page again
        assert '<input id="utr" name="utr"' in refused.text
    assert await snapshot(api.rig) == before
    claimed = await claim(api.client, order, utr="4012 3456 7890")
    assert claimed.status_code == 200
    assert escape(CLAIMED) in claimed.text
    [pending] = (await api.get("/api/v1/claims")).json()["items"]
    assert (pending["utr"], pending["method"]) == ("401234567890", "upi")


async def test_claims_that_cannot_be_made_say_why_and_change_nothing(api: Api) -> None:
    await with_method(api, SEPA)
    order = await api.create(total="90", payers=3, currency="EUR")
    by_card = await choose(api.client, order, "fake", name="Cat")
    assert by_card.status_code == 303  # a checkout's part: nothing to claim
    before = await snapshot(api.rig)
    not_by_transfer = await claim(api.client, order)
    assert not_by_transfer.status_code == 409
    assert "hold no part of this order paid by bank transfer" in not_by_transfer.text
    assert await snapshot(api.rig) == before

    async with client_for(make_app(api.rig)) as other, client_for(make_app(api.rig)) as third:
        nothing_held = await claim(other, order)  # a new browser
        assert nothing_held.status_code == 409
        assert "hold no part of this order" in nothing_held.text
        await choose(other, order, "sepa", name="Dan")
        reference = (await api_transfer(other, order))["reference_printed"]
        before = await snapshot(api.rig)
        browser_id = other.cookies["chipin_payer"].split(".")[0]
        copied = await third.post(  # the payer's browser id, but not their hold's secret
            f"/pay/{token_of(order)}/claim", headers={"Cookie": f"chipin_payer={browser_id}"}
        )
        assert copied.status_code == 409
        assert "held in another window or browser" in copied.text
        assert reference not in copied.text
        assert await snapshot(api.rig) == before
        api.rig.clock.advance(days=400)  # past the order's end, before any sweep
        before = await snapshot(api.rig)
        ended = await claim(other, order)
        assert ended.status_code == 409
        assert "this order has ended" in ended.text
        assert reference in ended.text
    assert await snapshot(api.rig) == before


async def test_a_cancelled_order_shows_no_claim_form(api: Api) -> None:
    await with_method(api, SEPA)
    order = await api.create(total="90", payers=3, currency="EUR")
    await choose(api.client, order, "sepa")
    assert (await api.post(f"/api/v1/orders/{order['id']}/cancel")).status_code == 200
    before = await snapshot(api.rig)
    refused = await claim(api.client, order)
    assert refused.status_code == 409
    assert "I've paid" not in refused.text
    assert "cancelled" in refused.text
    assert await snapshot(api.rig) == before
