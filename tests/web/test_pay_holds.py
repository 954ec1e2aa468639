"""The REST API's holds: each belongs to whoever took it (Chipin-Hold), one client address
holds a bounded number of an order's parts (429), and a payer's text is never a bot's id."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import httpx
import pytest

from tests.web.conftest import Api, make_app, snapshot, token_of


@asynccontextmanager
async def client_at(api: Api, address: str) -> AsyncIterator[httpx.AsyncClient]:
    """A client whose TCP peer is `address`."""
    transport = httpx.ASGITransport(app=make_app(api.rig), client=(address, 4000))
    async with httpx.AsyncClient(transport=transport, base_url="https://listener") as client:
        yield client


async def reserve(
    client: httpx.AsyncClient, order: dict[str, Any], payer: str, secret: str | None = None
) -> httpx.Response:
    headers = {"Chipin-Hold": secret} if secret else {}
    path = f"/api/v1/pay/{token_of(order)}/reserve"
    return await client.post(path, json={"payer": payer}, headers=headers)


async def test_another_client_with_the_same_payer_sees_nothing_of_the_hold(api: Api) -> None:
    order = await api.create(total="100", payers=3)
    mine = await api.reserve(order, "bob")
    assert mine.status_code == 201
    before = await snapshot(api.rig)
    async with client_at(api, "198.51.100.9") as thief:
        stolen = await reserve(thief, order, "bob")
        wrong = await reserve(thief, order, "bob", secret="w" * 43)
    for refused in (stolen, wrong):
        assert refused.status_code == 403
        assert refused.json()["error"] == "hold_not_yours"
        assert "Chipin-Hold" in refused.json()["message"]
        assert mine.json()["checkout_url"] not in refused.text
        assert "sub_order" not in refused.json()
    assert await snapshot(api.rig) == before
    assert len(api.rig.gateway.done("create_checkout")) == 1


async def test_the_hold_secret_reads_the_hold_and_releases_it(api: Api) -> None:
    order = await api.create(total="100", payers=3)
    mine = (await api.reserve(order, "bob")).json()
    secret = mine["hold_secret"]
    assert len(secret) >= 43
    hold_path = f"/api/v1/pay/{token_of(order)}/hold"
    read = await api.client.get(hold_path, headers={"Chipin-Hold": secret})
    assert read.status_code == 200
    assert read.json()["sub_order"] == mine["sub_order"]
    assert read.json()["checkout_url"] == mine["checkout_url"]
    assert read.json()["hold_secret"] is None
    released = await api.client.delete(hold_path, headers={"Chipin-Hold": secret})
    assert released.status_code == 204
    assert released.content == b""
    seen = (await api.get(f"/api/v1/orders/{order['id']}")).json()["sub_orders"]
    assert seen[0]["state"] == "available"
    assert seen[0]["payer"] is None
    assert api.rig.gateway.done("cancel_checkout") == ["co1"]
    gone = await api.client.get(hold_path, headers={"Chipin-Hold": secret})
    assert gone.status_code == 403


@pytest.mark.parametrize("headers", [{}, {"Chipin-Hold": "g" * 43}, {"Chipin-Hold": "short"}])
async def test_without_the_right_secret_the_hold_is_neither_read_nor_released(
    api: Api, headers: dict[str, str]
) -> None:
    order = await api.create(total="100", payers=3)
    mine = (await api.reserve(order, "bob")).json()
    before = await snapshot(api.rig)
    hold_path = f"/api/v1/pay/{token_of(order)}/hold"
    read = await api.client.get(hold_path, headers=headers)
    released = await api.client.delete(hold_path, headers=headers)
    for refused in (read, released):
        assert refused.status_code == 403
        assert refused.json()["error"] == "hold_not_yours"
        assert mine["checkout_url"] not in refused.text
    assert await snapshot(api.rig) == before
    unknown = await api.client.get("/api/v1/pay/nope/hold", headers={"Chipin-Hold": "g" * 43})
    assert unknown.status_code == 404


async def test_a_paid_part_is_read_as_paid_and_cannot_be_released(api: Api) -> None:
    order = await api.create(total="100", payers=3)
    secret = (await api.reserve(order, "bob")).json()["hold_secret"]
    await api.rig.engine.apply_event(api.rig.gateway.pay("co1"))
    hold_path = f"/api/v1/pay/{token_of(order)}/hold"
    read = await api.client.get(hold_path, headers={"Chipin-Hold": secret})
    assert read.json()["sub_order"]["state"] == "paid"
    refused = await api.client.delete(hold_path, headers={"Chipin-Hold": secret})
    assert refused.status_code == 409
    assert refused.json()["error"] == "already_paid"


async def test_a_client_that_chose_its_secret_gets_its_part_back_after_a_lost_answer(
    api: Api,
) -> None:
    order = await api.create(total="100", payers=3)
    chosen = "k" * 43
    first = await api.reserve(order, "bob", headers={"Chipin-Hold": chosen})
    retry = await api.reserve(order, "bob", headers={"Chipin-Hold": chosen})
    assert (first.status_code, retry.status_code) == (201, 200)
    assert retry.json()["sub_order"] == first.json()["sub_order"]
    bad = await api.reserve(order, "cy", headers={"Chipin-Hold": "too short"})
    assert bad.status_code == 422
    assert bad.json()["field"] == "Chipin-Hold"


async def test_eleven_holds_from_one_address_are_429_with_retry_after(api: Api) -> None:
    order = await api.create(total="240", payers=24)
    async with client_at(api, "203.0.113.7") as crowd:
        codes = [(await reserve(crowd, order, f"p{i}")).status_code for i in range(10)]
        before = await snapshot(api.rig)
        refused = await reserve(crowd, order, "p10")
    assert codes == [201] * 10
    assert refused.status_code == 429
    assert refused.json()["error"] == "too_many_holds"
    assert refused.json()["reason"] == "open"
    assert int(refused.headers["retry-after"]) == 15 * 60
    assert await snapshot(api.rig) == before
    async with client_at(api, "198.51.100.2") as neighbour:
        assert (await reserve(neighbour, order, "p10")).status_code == 201
    async with client_at(api, "2001:db8:1:2::7") as phone, client_at(api, "2001:db8:1:2::8") as tab:
        for i in range(5):
            assert (await reserve(phone, order, f"v6-{i}")).status_code == 201
            assert (await reserve(tab, order, f"v6-tab-{i}")).status_code == 201
        shared = await reserve(tab, order, "v6-tab-5")  # one /64: ten holds between them
    assert shared.status_code == 429


async def test_a_payee_raises_the_limit_with_holds_per_client(api: Api) -> None:
    order = await api.create(total="300", payers=30, holds_per_client=25)
    assert order["holds_per_client"] == 25
    async with client_at(api, "203.0.113.7") as till:
        codes = [(await reserve(till, order, f"p{i}")).status_code for i in range(26)]
    assert codes == [201] * 25 + [429]
    default = await api.create()
    assert default["holds_per_client"] == 10


@pytest.mark.parametrize("value", [0, 1001, -1, "10"])
async def test_a_limit_out_of_range_is_422(api: Api, value: object) -> None:
    before = await snapshot(api.rig)
    response = await api.post(
        "/api/v1/orders", {"total": "10", "payers": 1, "holds_per_client": value}
    )
    assert response.status_code == 422
    assert response.json()["field"] == "holds_per_client"
    assert await snapshot(api.rig) == before


@pytest.mark.parametrize(
    "payer",
    [
        "tg:42",
        "TG:42",
        " tg:42",
        "web:abc",
        "api:bob",
        "ip:10.0.0.1",
        "order:ord_1",
        "code-guess:pay_1",
    ],
)
async def test_a_reserved_prefix_in_payer_is_422(api: Api, payer: str) -> None:
    order = await api.create()
    before = await snapshot(api.rig)
    response = await api.reserve(order, payer)
    assert response.status_code == 422
    assert response.json()["field"] == "payer"
    assert "reserved" in response.json()["message"]
    assert await snapshot(api.rig) == before


async def test_the_api_shows_a_payer_as_they_gave_themselves(api: Api) -> None:
    order = await api.create()
    await api.reserve(order, "bob@example.com")
    async with api.rig.store.transaction() as tx:
        subs = await tx.sub_orders.get_sub_orders(order["id"])
    assert subs[0].payer_ref == "api:bob@example.com"  # stored in the API's own namespace
    seen = (await api.get(f"/api/v1/orders/{order['id']}")).json()["sub_orders"][0]
    assert seen["payer"] == "bob@example.com"
    assert seen["hold_until"] is not None
