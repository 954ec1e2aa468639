"""How a browser payer's payment ends: back from the gateway's checkout to the pay page, which
shows the outcome: paid, with a receipt only that payer can open; declined, a way to try again."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest

from core.domain.holds import hold_secret_hash, receipt_key
from core.ports.store import CheckoutStatus
from core.usecases.deps import Outcome
from tests.support.harness import Rig
from tests.web.conftest import (
    Api,
    client_for,
    make_app,
    snapshot,
    token_of,
)

RECEIPT_LINK = re.compile(r'href="(/pay/[^"]+/receipt/[^"]+)"')


async def reserve_in_browser(api: Api, order: dict[str, Any], name: str = "Bob") -> str:
    """The payer reserves on the pay page and is sent to the checkout; its reference."""
    sent = await api.client.post(f"/pay/{token_of(order)}", data={"name": name})
    assert sent.status_code == 303, sent.text
    ref: str = sent.headers["location"].rsplit("/", 1)[1]
    return ref


async def come_back(api: Api, order: dict[str, Any], ref: str) -> httpx.Response:
    """The checkout's way back (its return URL), followed to the pay page."""
    back = await api.client.get(f"/pay/return/fake/{ref}")
    assert back.status_code == 303, back.text
    assert back.headers["location"] == f"/pay/{token_of(order)}"
    return await api.client.get(back.headers["location"])


async def paid_page(api: Api, order: dict[str, Any]) -> tuple[httpx.Response, str]:
    ref = await reserve_in_browser(api, order)
    api.rig.gateway.pay(ref)  # paid at the gateway; its webhook has not come yet
    page = await come_back(api, order, ref)
    found = RECEIPT_LINK.search(page.text)
    assert found is not None, page.text
    return page, found.group(1)


async def test_a_payer_back_before_the_webhook_sees_their_part_paid_once(api: Api) -> None:
    order = await api.create(total="100", payers=3, title="Dinner")
    ref = await reserve_in_browser(api, order)
    event = api.rig.gateway.pay(ref)
    page = await come_back(api, order, ref)
    assert page.status_code == 200
    assert "Your part is paid." in page.text
    assert "33.34 USD" in page.text
    assert await api.rig.engine.apply_event(event) == Outcome.DUPLICATE  # the webhook, late
    seen = (await api.get(f"/api/v1/orders/{order['id']}")).json()
    assert (seen["paid_count"], seen["sub_orders"][0]["state"]) == (1, "paid")


async def test_reloading_the_pay_page_asks_the_gateway_once_every_five_seconds(
    api: Api,
) -> None:
    order = await api.create(total="100", payers=3)
    ref = await reserve_in_browser(api, order)
    for _ in range(5):
        assert (await api.client.get(f"/pay/{token_of(order)}")).status_code == 200
    looked_up = api.rig.gateway.retrieved.count(ref)
    api.rig.clock.advance(seconds=5)
    assert (await api.client.get(f"/pay/{token_of(order)}")).status_code == 200

    assert looked_up == 1
    assert api.rig.gateway.retrieved.count(ref) == 2


async def test_the_paid_page_links_to_a_receipt_the_payer_can_open(api: Api) -> None:
    order = await api.create(total="100", payers=3, title="Dinner")
    _, link = await paid_page(api, order)
    api.client.cookies.clear()  # the address alone opens it: another device, a bookmark
    receipt = await api.client.get(link)
    assert receipt.status_code == 200
    assert "Receipt" in receipt.text
    assert "Dinner" in receipt.text
    assert "33.34 USD" in receipt.text
    assert "Paid by Bob" in receipt.text
    assert re.search(r"receipt rcpt-\d+-[0-9a-f]{12}", receipt.text)
    assert receipt.headers["referrer-policy"] == "no-referrer"
    assert receipt.headers["cache-control"] == "no-store"


@pytest.mark.parametrize(
    "spoil",
    [
        lambda link: link[:-1] + ("A" if link[-1] != "A" else "B"),  # a wrong secret
        lambda link: link.rsplit("/", 1)[0],  # no secret
        lambda link: link.rsplit("/", 1)[0] + "/",  # an empty secret
        lambda link: link.replace("/pay/", "/pay/x", 1),  # another order's token
    ],
)
async def test_without_the_right_secret_there_is_no_receipt(api: Api, spoil: Any) -> None:
    order = await api.create(total="100", payers=3)
    _, link = await paid_page(api, order)
    for path in (spoil(link), spoil(link) + ".json"):
        answer = await api.client.get(path, follow_redirects=True)
        assert answer.status_code == 404, path
        assert "33.34" not in answer.text
        assert "rcpt-" not in answer.text


async def test_the_receipt_address_of_a_hold_not_paid_opens_nothing(api: Api) -> None:
    order = await api.create(total="100", payers=3)
    reserved = await api.reserve(order, "cat")
    secret = reserved.json()["hold_secret"]
    for key in (receipt_key(hold_secret_hash(secret)), secret):
        answer = await api.client.get(f"/pay/{token_of(order)}/receipt/{key}")
        assert answer.status_code == 404
        assert "no receipt" in answer.text


async def test_the_receipt_address_holds_no_hold_secret_and_opens_no_hold(api: Api) -> None:
    """A proxy's access log keeps the address: it must open the receipt and nothing else."""
    order = await api.create(total="100", payers=3)
    reserved = (await api.reserve(order, "bob")).json()
    ref = reserved["checkout_url"].rsplit("/", 1)[1]
    await api.rig.engine.apply_event(api.rig.gateway.pay(ref))
    key = receipt_key(hold_secret_hash(reserved["hold_secret"]))

    assert (await api.client.get(f"/pay/{token_of(order)}/receipt/{key}")).status_code == 200
    hold = await api.client.get(f"/api/v1/pay/{token_of(order)}/hold", headers={"Chipin-Hold": key})
    assert (hold.status_code, hold.json()["error"]) == (403, "hold_not_yours")


async def test_a_declined_payment_says_so_and_offers_to_try_again(api: Api) -> None:
    order = await api.create(total="100", payers=3)
    ref = await reserve_in_browser(api, order)
    api.rig.gateway.checkouts[ref].status = CheckoutStatus.FAILED  # declined; no webhook yet
    page = await come_back(api, order, ref)
    assert page.status_code == 200
    assert "Your part was not paid" in page.text
    assert "Nothing was charged" in page.text
    assert "<button>Try again</button>" in page.text
    seen = (await api.get(f"/api/v1/orders/{order['id']}")).json()
    assert [s["state"] for s in seen["sub_orders"]] == ["available"] * 3
    again = await api.client.post(f"/pay/{token_of(order)}", data={"name": "Bob"})
    assert again.status_code == 303
    assert again.headers["location"] != f"https://pay.test/{ref}"  # a new checkout


async def test_a_payer_who_never_held_a_part_sees_no_notice(api: Api) -> None:
    order = await api.create()
    page = await api.client.get(f"/pay/{token_of(order)}")
    assert "was not paid" not in page.text
    assert "<button>Reserve my part and pay</button>" in page.text


async def test_the_way_back_needs_the_browser_that_paid(api: Api) -> None:
    order = await api.create()
    ref = await reserve_in_browser(api, order)
    api.client.cookies.clear()
    back = await api.client.get(f"/pay/return/fake/{ref}")
    assert back.status_code == 404
    assert "location" not in back.headers
    assert token_of(order) not in back.text
    unknown = await api.client.get("/pay/return/fake/co999")
    assert unknown.status_code == 404


async def test_mode_all_says_authorised_until_everyone_has_paid(api: Api) -> None:
    order = await api.create(total="60", payers=2, mode="all")
    page, _ = await paid_page(api, order)
    assert "Your payment is authorised." in page.text
    assert "charged when everyone has paid" in page.text


@pytest.fixture
async def api_with_chain(rig: Rig) -> AsyncIterator[Api]:
    """The app with a certificate chain: receipts can be downloaded."""
    _, ann = await rig.engine.create_api_key("Ann")
    app = make_app(rig, chain_pem=lambda: "PEM")
    async with client_for(app) as client:
        yield Api(client, rig, ann, ann)


async def test_the_receipt_downloads_as_a_file_chipin_receipt_verify_reads(
    api_with_chain: Api,
) -> None:
    api = api_with_chain
    order = await api.create(total="100", payers=3)
    _, link = await paid_page(api, order)
    page = await api.client.get(link)
    assert f'href="{link}.json"' in page.text
    download = await api.client.get(link + ".json")
    assert download.status_code == 200
    doc = download.json()
    assert (doc["format"], doc["chain"], doc["entry"]["amount"]) == (
        "chipin-receipt/1",
        "PEM",
        3334,
    )
    assert doc["payer"]["name"] == "Bob"
    disposition = download.headers["content-disposition"]
    assert disposition == f'attachment; filename="chipin-{doc["receipt_id"]}.json"'


async def test_without_a_certificate_authority_the_receipt_shows_but_does_not_download(
    api: Api,
) -> None:
    order = await api.create(total="100", payers=3)
    _, link = await paid_page(api, order)
    page = await api.client.get(link)
    assert page.status_code == 200
    assert ".json" not in page.text
    before = await snapshot(api.rig)
    download = await api.client.get(link + ".json")
    assert download.status_code == 503
    assert download.json()["error"] == "unavailable"
    assert await snapshot(api.rig) == before


async def test_an_api_payer_gets_their_receipt_with_their_hold_secret(
    api_with_chain: Api,
) -> None:
    api = api_with_chain
    order = await api.create(total="100", payers=3)
    reserved = (await api.reserve(order, "bob")).json()
    unpaid = (await api.reserve(order, "cat")).json()
    ref = reserved["checkout_url"].rsplit("/", 1)[1]
    await api.rig.engine.apply_event(api.rig.gateway.pay(ref))
    path = f"/api/v1/pay/{token_of(order)}/receipt"
    assert (await api.client.get(path)).status_code == 403
    wrong = await api.client.get(path, headers={"Chipin-Hold": "x" * 43})
    assert (wrong.status_code, wrong.json()["error"]) == (403, "hold_not_yours")
    not_paid = await api.client.get(path, headers={"Chipin-Hold": unpaid["hold_secret"]})
    assert not_paid.status_code == 404
    mine = await api.client.get(path, headers={"Chipin-Hold": reserved["hold_secret"]})
    assert mine.status_code == 200, mine.text
    assert (mine.json()["payer"]["ref"], mine.json()["entry"]["amount"]) == ("api:bob", 3334)
