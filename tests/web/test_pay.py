"""Payers without the bot: the public view behind a link, and reserving a part to pay."""

from __future__ import annotations

from typing import Any

import pytest

from core.domain.errors import GatewayFinal, GatewayRetryable
from tests.web.conftest import Api, snapshot, token_of


async def test_reserve_holds_a_part_and_returns_its_checkout(api: Api) -> None:
    order = await api.create(total="100", payers=3, title="Dinner")
    response = await api.reserve(order, "bob@example.com")
    assert response.status_code == 201, response.text
    body = response.json()
    assert body["checkout_url"] == "https://pay.test/co1"
    part = body["sub_order"]
    assert part["index"] == 0
    assert part["amount"] == "33.34"
    assert part["amount_minor"] == 3334
    assert part["state"] == "reserved"
    assert part["hold_until"] is not None
    assert body["order"] == {
        "title": "Dinner",
        "currency": "USD",
        "amount_due": "33.34",
        "parts_unpaid": 3,
        "slots_left": 3,
        "expires_at": order["expires_at"],
        "payee_display_name": None,
    }
    seen = (await api.get(f"/api/v1/orders/{order['id']}")).json()["sub_orders"][0]
    assert seen["state"] == "reserved"
    assert seen["payer"] == "bob@example.com"


async def test_the_same_payer_with_its_hold_secret_gets_the_same_part_back(api: Api) -> None:
    order = await api.create()
    first = await api.reserve(order, "bob")
    secret = first.json()["hold_secret"]
    again = await api.reserve(order, "bob", headers={"Chipin-Hold": secret})
    other = await api.reserve(order, "cat")
    assert (first.status_code, again.status_code, other.status_code) == (201, 200, 201)
    assert again.json()["sub_order"] == first.json()["sub_order"]
    assert again.json()["checkout_url"] == first.json()["checkout_url"]
    assert again.json()["hold_secret"] is None  # given once only
    assert other.json()["sub_order"]["index"] == 1


async def test_a_fully_held_order_is_409_with_a_clear_message(api: Api) -> None:
    order = await api.create(total="10", payers=1)
    assert (await api.reserve(order, "bob")).status_code == 201
    before = await snapshot(api.rig)
    full = await api.reserve(order, "cat")
    assert full.status_code == 409
    assert full.json()["error"] == "order_full"
    assert "reserved" in full.json()["message"]
    assert await snapshot(api.rig) == before


async def test_a_fully_paid_order_is_409_full(api: Api) -> None:
    order = await api.create(total="10", payers=1)
    await api.reserve(order, "bob")
    await api.rig.engine.apply_event(api.rig.gateway.pay("co1"))
    full = await api.reserve(order, "cat")
    assert full.status_code == 409
    assert full.json()["error"] == "order_closed"
    assert full.json()["state"] == "completed"
    assert (await api.reserve(order, "bob")).status_code == 409


async def test_paying_twice_is_refused(api: Api) -> None:
    order = await api.create(total="10", payers=2)
    secret = (await api.reserve(order, "bob")).json()["hold_secret"]
    await api.rig.engine.apply_event(api.rig.gateway.pay("co1"))
    again = await api.reserve(order, "bob", headers={"Chipin-Hold": secret})
    assert again.status_code == 409
    assert again.json()["error"] == "already_paid"


@pytest.mark.parametrize("password", [None, "", "wrong-pass"])
async def test_a_wrong_order_password_is_403_and_reserves_nothing(
    api: Api, password: str | None
) -> None:
    order = await api.create(password="right-pass")
    before = await snapshot(api.rig)
    extra: dict[str, Any] = {} if password is None else {"password": password}
    response = await api.reserve(order, "bob", **extra)
    assert response.status_code == 403
    assert response.json()["error"] == "wrong_password"
    if password:  # a wrong guess is counted towards the lock-out of its source, the client
        async with api.rig.store.transaction() as tx:
            auth = await tx.payers.get_payer_auth(f"order:{order['id']}:ip:127.0.0.1")
        assert auth is not None
        assert auth.failures == 1
    assert _without_counters(await snapshot(api.rig)) == _without_counters(before)
    assert api.rig.gateway.calls == []


def _without_counters(state: Any) -> Any:
    """Everything but the failed-try counters (core.domain.tries: the payer_auth rows and the
    order's
    guesses, or the fake's `payers` and `tries`)."""
    if isinstance(state, dict):
        return {k: v for k, v in state.items() if k not in ("payer_auth", "order_guesses")}
    return {k: v for k, v in vars(state).items() if k not in ("payers", "tries")}


async def test_the_right_order_password_reserves(api: Api) -> None:
    order = await api.create(password="right-pass")
    response = await api.reserve(order, "bob", password="right-pass")
    assert response.status_code == 201
    assert "right-pass" not in response.text


async def test_an_expired_order_is_409_closed(api: Api) -> None:
    order = await api.create(expires_in="1h")
    api.rig.clock.advance(hours=2)
    response = await api.reserve(order, "bob")
    assert response.status_code == 409
    assert response.json() == {
        "error": "order_closed",
        "message": "this order has expired",
        "state": "expired",
    }


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"payer": ""}, "payer"),
        ({"payer": "x" * 65}, "payer"),
        ({}, "payer"),
        ({"payer": 5}, "payer"),
        ({"payer": "bob", "pin": "1"}, "pin"),
    ],
)
async def test_bad_reserve_input_is_422(api: Api, body: dict[str, Any], field: str) -> None:
    order = await api.create()
    before = await snapshot(api.rig)
    response = await api.client.post(f"/api/v1/pay/{token_of(order)}/reserve", json=body)
    assert response.status_code == 422
    assert response.json()["field"] == field
    assert await snapshot(api.rig) == before


async def test_an_unknown_token_is_404(api: Api) -> None:
    unknown = await api.client.post("/api/v1/pay/nope/reserve", json={"payer": "bob"})
    assert unknown.status_code == 404
    assert (await api.client.get("/api/v1/pay/nope")).status_code == 404


@pytest.mark.parametrize(
    ("error", "status", "code"),
    [
        (GatewayRetryable("timeout"), 503, "gateway_unavailable"),
        (GatewayFinal("bad request"), 502, "gateway_refused"),
    ],
)
async def test_gateway_failures_release_the_hold(
    api: Api, error: Exception, status: int, code: str
) -> None:
    order = await api.create()
    api.rig.gateway.fail_next.append(error)
    response = await api.reserve(order, "bob")
    assert response.status_code == status
    assert response.json()["error"] == code
    assert str(error) not in response.json()["message"]
    subs = (await api.get(f"/api/v1/orders/{order['id']}")).json()["sub_orders"]
    assert {s["state"] for s in subs} == {"available"}


async def test_the_public_view_shows_no_payee_or_payer_data(api: Api) -> None:
    order = await api.create(total="100", payers=3, title="Dinner")
    await api.reserve(order, "bob@example.com")
    response = await api.client.get(f"/api/v1/pay/{token_of(order)}")
    assert response.status_code == 200
    view = response.json()
    assert view == {
        "title": "Dinner",
        "currency": "USD",
        "state": "open",
        "n": 3,
        "paid_count": 0,
        "parts_unpaid": 3,
        "parts_free": 2,
        "authorised": 0,
        "slots_left": 3,
        "available": 2,
        "payee_display_name": None,
        "amount_per_part": None,
        "amounts": ["33.34", "33.33", "33.33"],
        "has_password": False,
        "expires_at": order["expires_at"],
        "gateways": ["fake"],
        "methods": [],
    }
    assert "bob@example.com" not in response.text
    assert order["id"] not in response.text


async def test_the_public_view_gives_one_amount_when_parts_are_equal(api: Api) -> None:
    order = await api.create(total="90", payers=3)
    view = (await api.client.get(f"/api/v1/pay/{token_of(order)}")).json()
    assert view["amount_per_part"] == "30.00"


async def test_ten_wrong_order_passwords_lock_it_with_429(api: Api) -> None:
    order = await api.create(password="right-pass")
    codes = [(await api.reserve(order, f"p{i}", password="guess")).status_code for i in range(10)]
    assert codes == [403] * 9 + [429]
    locked = await api.reserve(order, "bob", password="right-pass")
    assert locked.status_code == 429
    assert locked.json()["error"] == "locked_out"
    assert 0 < int(locked.headers["retry-after"]) <= 900
