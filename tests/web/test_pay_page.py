"""The HTML page behind a payment link: a payer without the bot reserves a part, then pays."""

from __future__ import annotations

from tests.web.conftest import Api, token_of


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
