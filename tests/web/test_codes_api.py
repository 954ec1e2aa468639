"""The codes API: bind, list with totals and last payments, switch, move, unbind; refusals."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest

from core.domain.codes import StaticCode
from core.domain.money import Money, currency
from core.usecases.deps import Outcome
from tests.web.conftest import Api, snapshot

TIP: dict[str, Any] = {"kind": "tip", "title": "Tips for the band", "name": "Ann's Bar"}


async def printed(api: Api, n: int = 1) -> list[StaticCode]:
    return await api.rig.engine.print_codes(n)


async def pay(api: Api, code: StaticCode, amount_minor: int, payer: str) -> None:
    engine = api.rig.engine
    view = await engine.pay_code(code.token, Money(amount_minor, currency("USD")))
    res = await engine.reserve(view.order.token, payer, source=payer)
    assert res.sub.checkout_ref is not None
    assert await engine.apply_event(api.rig.gateway.pay(res.sub.checkout_ref)) == Outcome.APPLIED


async def test_bind_then_list_shows_the_code_with_its_totals(api: Api) -> None:
    [code] = await printed(api)
    bound = await api.post(f"/api/v1/codes/{code.label}/bind", TIP)
    assert bound.status_code == 200, bound.text
    assert bound.json()["state"] == "active"
    await pay(api, code, 450, "payer-1")
    await pay(api, code, 800, "payer-2")
    listed = (await api.get("/api/v1/codes")).json()
    assert listed["collection_id"].startswith("col_")
    assert listed["modes"] == ["fake"]
    [item] = listed["items"]
    assert item["code"] == code.label
    assert (item["kind"], item["title"], item["min"], item["max"]) == (
        "tip",
        "Tips for the band",
        "1.00",
        "100000.00",
    )
    assert (item["today"], item["this_month"], item["raised"], item["payments"]) == (
        "12.50",
        "12.50",
        "12.50",
        2,
    )
    assert [(p["amount"], p["mode"]) for p in item["last_payments"]] == [
        ("8.00", "fake"),
        ("4.50", "fake"),
    ]
    one = await api.get(f"/api/v1/codes/{code.short.lower()}")
    assert one.json() == item


async def test_another_payee_can_neither_bind_nor_see_a_bound_code(api: Api) -> None:
    [code] = await printed(api)
    assert (await api.post(f"/api/v1/codes/{code.short}/bind", TIP)).status_code == 200
    # Bob's first look-up makes his (empty) counter of wrong codes: a code found is no guess
    assert (await api.get(f"/api/v1/codes/{code.short}", key=api.bob)).status_code == 404
    before = await snapshot(api.rig)
    again = await api.post(f"/api/v1/codes/{code.short}/bind", TIP, key=api.bob)
    assert again.status_code == 403
    assert again.json()["message"] == "this code is already bound"
    assert (await api.get(f"/api/v1/codes/{code.short}", key=api.bob)).status_code == 404
    assert (await api.post(f"/api/v1/codes/{code.short}/unbind", key=api.bob)).status_code == 404
    assert (await api.get("/api/v1/codes", key=api.bob)).json() == {
        "collection_id": None,
        "modes": [],
        "items": [],
    }
    assert await snapshot(api.rig) == before


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({**TIP, "kind": "raffle"}, "kind"),
        ({**TIP, "kind": "fixed"}, "amount"),
        ({**TIP, "kind": "fund"}, "goal"),
        ({**TIP, "kind": "fund", "goal": "100", "deadline": "2000-01-01T00:00:00Z"}, "deadline"),
        (
            {**TIP, "kind": "fund", "goal": "100", "deadline": "9999-12-31T23:59:59-14:00"},
            "deadline",
        ),
        ({**TIP, "min": "10", "max": "5"}, "min"),
        ({**TIP, "currency": "XYZ"}, "currency"),
        ({**TIP, "name": ""}, "name"),
        ({**TIP, "title": "bad\u0000title"}, "title"),
    ],
)
async def test_bad_bindings_are_422_and_change_nothing(
    api: Api, body: dict[str, Any], field: str
) -> None:
    [code] = await printed(api)
    before = await snapshot(api.rig)
    response = await api.post(f"/api/v1/codes/{code.short}/bind", body)
    assert response.status_code == 422, response.text
    assert response.json()["field"] == field
    assert await snapshot(api.rig) == before


async def test_an_unknown_or_malformed_code_is_404_or_422(api: Api) -> None:
    assert (await api.post("/api/v1/codes/ZZZZ-ZZZZ/bind", TIP)).status_code == 404
    bad = await api.post("/api/v1/codes/nope!/bind", TIP)
    assert bad.status_code == 422
    assert bad.json()["field"] == "code"


async def test_switch_move_and_unbind(api: Api) -> None:
    old, new = await printed(api, 2)
    await api.post(f"/api/v1/codes/{old.short}/bind", {**TIP, "kind": "fund", "goal": "50"})
    await pay(api, old, 1000, "payer-1")
    off = await api.post(f"/api/v1/codes/{old.short}/switch", {"on": False})
    assert off.json()["state"] == "disabled"
    moved = await api.post(f"/api/v1/codes/{old.short}/move", {"to": new.label})
    assert moved.status_code == 200, moved.text
    assert (moved.json()["code"], moved.json()["state"], moved.json()["raised"]) == (
        new.label,
        "disabled",
        "10.00",
    )
    assert moved.json()["goal"] == "50.00"
    on = await api.post(f"/api/v1/codes/{new.short}/switch", {"on": True})
    assert on.json()["state"] == "active"
    gone = await api.post(f"/api/v1/codes/{new.short}/unbind")
    assert gone.json()["items"] == []
    assert (await api.get(f"/api/v1/codes/{new.short}")).status_code == 404


async def test_a_funds_deadline_and_goal_show_in_the_api(api: Api) -> None:
    [code] = await printed(api)
    deadline = api.rig.clock.now() + timedelta(days=3)
    body = {**TIP, "kind": "fund", "goal": "10", "deadline": deadline.isoformat()}
    assert (await api.post(f"/api/v1/codes/{code.short}/bind", body)).status_code == 200
    await pay(api, code, 1000, "payer-1")
    item = (await api.get(f"/api/v1/codes/{code.short}")).json()
    assert item["goal_reached_at"] is not None
    assert item["deadline"].startswith(deadline.strftime("%Y-%m-%dT%H:%M"))


async def test_guessing_short_codes_is_429_and_binds_nothing(api: Api) -> None:
    """Ten codes that do not exist lock the key's payee out of code look-ups; the printed,
    unbound code is then refused too, and another payee is not held back."""
    [code] = await printed(api)
    guesses = [f"{i:04d}-0000" for i in range(10)]
    answers = [(await api.get(f"/api/v1/codes/{g}", key=api.bob)).status_code for g in guesses]
    assert answers == [404] * 9 + [429]
    refused = await api.post(f"/api/v1/codes/{code.short}/bind", TIP, key=api.bob)
    assert refused.status_code == 429
    assert 0 < int(refused.headers["Retry-After"]) <= 15 * 60
    assert (await api.post(f"/api/v1/codes/{code.short}/bind", TIP)).status_code == 200
