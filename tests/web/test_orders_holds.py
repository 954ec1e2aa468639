"""What a payee's key sees of who holds parts, and releasing a held part of their own order."""

from __future__ import annotations

from tests.web.conftest import Api, snapshot


async def test_the_payee_sees_who_holds_each_part_and_until_when(api: Api) -> None:
    order = await api.create(total="90", payers=3)
    await api.reserve(order, "bob@example.com")
    await api.rig.engine.reserve(
        order["pay_url"].rsplit("/", 1)[1], "tg:42", payer_name="Cy", source="tg:42"
    )
    subs = (await api.get(f"/api/v1/orders/{order['id']}")).json()["sub_orders"]
    assert [(s["state"], s["payer"], s["payer_name"]) for s in subs] == [
        ("reserved", "bob@example.com", None),
        ("reserved", "tg:42", "Cy"),
        ("available", None, None),
    ]
    assert subs[0]["hold_until"] is not None
    assert subs[2]["hold_until"] is None


async def test_the_payee_releases_a_held_part_and_its_checkout_is_closed(api: Api) -> None:
    order = await api.create(total="90", payers=3)
    await api.reserve(order, "bob")
    response = await api.post(f"/api/v1/orders/{order['id']}/parts/0/release")
    assert response.status_code == 200
    part = response.json()["sub_orders"][0]
    assert (part["state"], part["payer"], part["hold_until"]) == ("available", None, None)
    assert api.rig.gateway.done("cancel_checkout") == ["co1"]
    again = await api.reserve(order, "cy")
    assert again.json()["sub_order"]["index"] == 0


async def test_releasing_is_for_held_parts_of_my_own_orders_only(api: Api) -> None:
    order = await api.create(total="90", payers=3)
    await api.reserve(order, "bob")
    await api.reserve(order, "cy")
    await api.rig.engine.apply_event(api.rig.gateway.pay("co2"))
    before = await snapshot(api.rig)
    base = f"/api/v1/orders/{order['id']}/parts"
    someone_elses = await api.post(f"{base}/0/release", key=api.bob)
    no_such_part = await api.post(f"{base}/9/release")
    paid = await api.post(f"{base}/1/release")
    free = await api.post(f"{base}/2/release")
    unknown = await api.post("/api/v1/orders/ord_999999/parts/0/release")
    keyless = await api.client.post(f"{base}/0/release")
    assert [r.status_code for r in (someone_elses, no_such_part, unknown)] == [404] * 3
    assert (
        someone_elses.json()
        == unknown.json()
        == {
            "error": "not_found",
            "message": "no such order",
        }
    )
    assert (paid.status_code, paid.json()["error"], paid.json()["state"]) == (
        409,
        "not_held",
        "paid",
    )
    assert (free.status_code, free.json()["state"]) == (409, "available")
    assert keyless.status_code == 401
    assert await snapshot(api.rig) == before
