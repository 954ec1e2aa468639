"""Order passwords over HTTP: wrong guesses lock the client's address (an IPv6 client's /64)
and nobody else, on the API and the pay page; the payee sees the guesses and clears the locks
(GET and DELETE /api/v1/orders/{id}/password-locks)."""

from __future__ import annotations

from typing import Any

import httpx
import pytest
from fastapi import FastAPI

from core.domain.tries import ORDER_GUESSES_A_DAY
from tests.web.conftest import BASE_URL, Api, bearer, make_app, token_of

PASSWORD = "right-pass"


class Client:
    """The app as seen from one address."""

    def __init__(self, app: FastAPI, host: str) -> None:
        transport = httpx.ASGITransport(app=app, client=(host, 40000))
        self.http = httpx.AsyncClient(transport=transport, base_url=BASE_URL)

    async def reserve(self, order: dict[str, Any], password: str, payer: str = "p") -> int:
        body = {"payer": payer, "password": password}
        response = await self.http.post(f"/api/v1/pay/{token_of(order)}/reserve", json=body)
        return response.status_code

    async def pay_page(self, order: dict[str, Any], password: str) -> httpx.Response:
        form = {"name": "Zoe", "password": password, "gateway": "fake"}
        return await self.http.post(f"/pay/{token_of(order)}", data=form)


@pytest.fixture
def app(api: Api) -> FastAPI:
    return make_app(api.rig)


async def test_ten_wrong_guesses_lock_that_address_and_not_the_next(api: Api, app: FastAPI) -> None:
    order = await api.create(password=PASSWORD, payers=20)
    mallory, ann = Client(app, "198.51.100.7"), Client(app, "198.51.100.8")
    codes = [await mallory.reserve(order, "guess", f"m{i}") for i in range(10)]
    assert codes == [403] * 9 + [429]
    locked = await mallory.http.post(
        f"/api/v1/pay/{token_of(order)}/reserve", json={"payer": "x", "password": PASSWORD}
    )
    assert locked.status_code == 429
    assert locked.headers["Retry-After"] == "900"
    assert await ann.reserve(order, PASSWORD, "ann") == 201


async def test_an_ipv6_client_is_counted_by_its_64(api: Api, app: FastAPI) -> None:
    order = await api.create(password=PASSWORD, payers=20)
    for i in range(10):
        await Client(app, f"2001:db8:1:2::{i + 1}").reserve(order, "guess", f"m{i}")
    same_64 = Client(app, "2001:db8:1:2:ffff::9")
    assert await same_64.reserve(order, PASSWORD) == 429
    assert await Client(app, "2001:db8:1:3::1").reserve(order, PASSWORD) == 201


async def test_the_pay_page_counts_guesses_by_address(api: Api, app: FastAPI) -> None:
    order = await api.create(password=PASSWORD, payers=20)
    mallory = Client(app, "203.0.113.50")
    for _ in range(10):
        await mallory.pay_page(order, "guess")
    refused = await mallory.pay_page(order, PASSWORD)
    assert "too many wrong passwords" in refused.text
    held = await Client(app, "203.0.113.51").pay_page(order, PASSWORD)
    assert held.status_code == 303


async def test_the_payee_sees_the_guesses_and_clears_the_locks(api: Api, app: FastAPI) -> None:
    order = await api.create(password=PASSWORD, payers=20)
    path = f"/api/v1/orders/{order['id']}/password-locks"
    assert (await api.get(path)).json() == {
        "failures_today": 0,
        "locked_sources": 0,
        "under_attack_since": None,
    }
    mallory = Client(app, "198.51.100.7")
    for i in range(10):
        await mallory.reserve(order, "guess", f"m{i}")
    for i in range(ORDER_GUESSES_A_DAY - 10):
        await Client(app, f"198.51.{i // 200}.{i % 200 + 1}").reserve(order, "guess")
    seen = (await api.get(path)).json()
    assert seen["failures_today"] == ORDER_GUESSES_A_DAY
    assert seen["locked_sources"] == 2  # mallory, and the 100th guesser: locked at once
    assert seen["under_attack_since"] is not None

    cleared = await api.client.delete(path, headers=bearer(api.ann))
    assert cleared.status_code == 204
    assert (await api.get(path)).json()["failures_today"] == 0
    assert await mallory.reserve(order, PASSWORD, "mallory") == 201


async def test_another_payees_order_has_no_password_locks(api: Api) -> None:
    order = await api.create(password=PASSWORD)
    path = f"/api/v1/orders/{order['id']}/password-locks"
    assert (await api.get(path, key=api.bob)).status_code == 404
    gone = await api.client.delete(path, headers=bearer(api.bob))
    assert gone.status_code == 404
    assert (await api.client.get(path)).status_code == 401
    assert (await api.get("/api/v1/orders/ord_nope/password-locks")).status_code == 404
