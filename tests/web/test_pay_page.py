"""The HTML page behind a payment link: a payer without the bot reserves a part, then pays."""

from __future__ import annotations

import hashlib

from tests.web.conftest import MAX_AMOUNT_MINOR, Api, client_for, healthy, token_of
from web.app import create_app


async def test_the_page_shows_the_order(api: Api) -> None:
    order = await api.create(total="100", payers=3, title="Dinner <at> Luigi's")
    page = await api.client.get(f"/pay/{token_of(order)}")
    assert page.status_code == 200
    assert "Dinner &lt;at&gt; Luigi&#x27;s" in page.text
    assert "33.33 – 33.34 USD" in page.text
    assert "0 of 3 paid" in page.text
    assert 'name="password"' not in page.text
    assert page.headers["cache-control"] == "no-store"


async def test_a_name_is_needed_and_nothing_is_reserved_without_it(api: Api) -> None:
    order = await api.create(total="100", payers=3)
    page = await api.client.post(f"/pay/{token_of(order)}", data={"name": "  "})
    assert page.status_code == 422
    assert "write your name" in page.text
    fresh = (await api.get(f"/api/v1/orders/{order['id']}")).json()
    assert [s["state"] for s in fresh["sub_orders"]] == ["available"] * 3


async def test_reserving_sends_the_payer_to_the_checkout_and_remembers_them(api: Api) -> None:
    order = await api.create(total="100", payers=3)
    url = f"/pay/{token_of(order)}"
    first = await api.client.post(url, data={"name": "Bob"})
    assert first.status_code == 303
    assert first.headers["location"].startswith("https://pay.test/")
    again = await api.client.post(url, data={"name": "Bob"})  # the cookie came back
    assert again.headers["location"] == first.headers["location"]
    fresh = (await api.get(f"/api/v1/orders/{order['id']}")).json()
    states = [s["state"] for s in fresh["sub_orders"]]
    assert states == ["reserved", "available", "available"]


async def test_a_full_order_says_so(api: Api) -> None:
    order = await api.create(total="10", payers=1)
    url = f"/pay/{token_of(order)}"
    assert (await api.client.post(url, data={"name": "Ann"})).status_code == 303
    api.client.cookies.clear()
    refused = await api.client.post(url, data={"name": "Cid"})
    assert refused.status_code == 409
    assert "reserved by someone paying" in refused.text


async def test_an_order_password_is_asked_and_checked(api: Api) -> None:
    order = await api.create(total="10", payers=1, password="open-sesame")
    url = f"/pay/{token_of(order)}"
    assert 'name="password"' in (await api.client.get(url)).text
    wrong = await api.client.post(url, data={"name": "Ann", "password": "guess"})
    assert wrong.status_code == 409
    assert "password is wrong" in wrong.text
    assert "guess" not in wrong.text
    right = await api.client.post(url, data={"name": "Ann", "password": "open-sesame"})
    assert right.status_code == 303


async def test_an_unknown_link_is_404(api: Api) -> None:
    page = await api.client.get("/pay/nothing-here")
    assert page.status_code == 404
    assert "no order" in page.text


async def test_the_payer_cookie_keeps_the_hold_secret_out_of_reach_of_scripts(api: Api) -> None:
    order = await api.create(total="100", payers=3)
    token = token_of(order)
    first = await api.client.post(f"/pay/{token}", data={"name": "Bob"})
    assert first.status_code == 303
    cookie = first.headers["set-cookie"]
    assert "HttpOnly" in cookie
    assert "SameSite=lax" in cookie
    assert "Secure" in cookie  # the public URL is https
    browser_id, held = api.client.cookies["chipin_payer"].split(".")
    held_token, secret = held.split("~")
    assert held_token == token
    async with api.rig.store.transaction() as tx:
        sub = (await tx.sub_orders.get_sub_orders(order["id"]))[0]
    assert sub.payer_ref == f"web:{browser_id}"  # the browser, in the pay page's namespace
    assert sub.payer_name == "Bob"
    assert sub.hold_secret_hash == hashlib.sha256(secret.encode()).hexdigest()
    seen = (await api.get(f"/api/v1/orders/{order['id']}")).json()["sub_orders"][0]
    assert (seen["payer"], seen["payer_name"]) == ("Bob", "Bob")


async def test_a_browser_with_a_copied_payer_id_but_no_secret_gets_no_checkout(api: Api) -> None:
    order = await api.create(total="100", payers=3)
    url = f"/pay/{token_of(order)}"
    first = await api.client.post(url, data={"name": "Bob"})
    browser_id = api.client.cookies["chipin_payer"].split(".")[0]
    api.client.cookies.clear()
    copied = await api.client.post(
        url, data={"name": "Eve"}, headers={"Cookie": f"chipin_payer={browser_id}"}
    )
    assert copied.status_code == 409
    assert "held in another window" in copied.text
    assert first.headers["location"] not in copied.text
    fresh = (await api.get(f"/api/v1/orders/{order['id']}")).json()
    assert [s["state"] for s in fresh["sub_orders"]] == ["reserved", "available", "available"]


async def test_a_browser_keeps_the_secrets_of_its_holds_in_several_orders(api: Api) -> None:
    orders = [await api.create(total="10", payers=2, title=f"o{i}") for i in range(3)]
    first = [await api.client.post(f"/pay/{token_of(o)}", data={"name": "Bob"}) for o in orders]
    again = [await api.client.post(f"/pay/{token_of(o)}", data={"name": "Bob"}) for o in orders]
    assert [r.headers["location"] for r in again] == [r.headers["location"] for r in first]


async def test_too_many_holds_from_one_address_is_429_on_the_page(api: Api) -> None:
    order = await api.create(total="120", payers=12)
    url = f"/pay/{token_of(order)}"
    for i in range(10):
        api.client.cookies.clear()  # ten browsers behind one address
        assert (await api.client.post(url, data={"name": f"P{i}"})).status_code == 303
    api.client.cookies.clear()
    refused = await api.client.post(url, data={"name": "P10"})
    assert refused.status_code == 429
    assert int(refused.headers["retry-after"]) == 15 * 60
    assert "held from here already" in refused.text


async def test_an_http_public_url_sets_the_cookie_without_secure(api: Api) -> None:
    app = create_app(
        api.rig.engine,
        public_base_url="http://chipin.test",
        health=healthy,
        max_amount_minor=MAX_AMOUNT_MINOR,
        default_currency="USD",
    )
    order = await api.create(total="100", payers=3)
    async with client_for(app) as client:
        first = await client.post(f"/pay/{token_of(order)}", data={"name": "Bob"})
    assert "HttpOnly" in first.headers["set-cookie"]
    assert "Secure" not in first.headers["set-cookie"]
