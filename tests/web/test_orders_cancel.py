"""POST /api/v1/orders/{id}/cancel: an order whose every part is paid is cancelled (and every
payer refunded) only when the payee says so with `{"refund_paid": true}`."""

from __future__ import annotations

from typing import Any

from tests.web.conftest import Api, bearer, snapshot


async def pay_part(api: Api, order: dict[str, Any], payer: str) -> str:
    """`payer` reserves a part and pays it at the gateway; the checkout's reference."""
    reserved = await api.reserve(order, payer)
    assert reserved.status_code == 201, reserved.text
    ref: str = reserved.json()["checkout_url"].rsplit("/", 1)[1]
    await api.rig.engine.apply_event(api.rig.gateway.pay(ref))
    return ref


async def completed_order(api: Api, **body: Any) -> tuple[dict[str, Any], list[str]]:
    order = await api.create(total="60", payers=2, **body)
    refs = [await pay_part(api, order, payer) for payer in ("bob", "cat")]
    seen = (await api.get(f"/api/v1/orders/{order['id']}")).json()
    assert seen["state"] == "completed"
    return order, refs


async def test_a_completed_order_is_not_cancelled_without_refund_paid(api: Api) -> None:
    order, _ = await completed_order(api)
    before = await snapshot(api.rig)
    refused = await api.post(f"/api/v1/orders/{order['id']}/cancel")
    assert refused.status_code == 409
    body = refused.json()
    assert body["error"] == "refund_not_confirmed"
    assert body["state"] == "completed"
    assert '{"refund_paid": true}' in body["message"]
    assert "refunds every payer" in body["message"]
    assert await snapshot(api.rig) == before
    assert api.rig.gateway.done("refund") == []


async def test_refund_paid_false_is_refused_like_no_body(api: Api) -> None:
    order, _ = await completed_order(api)
    refused = await api.post(f"/api/v1/orders/{order['id']}/cancel", {"refund_paid": False})
    assert refused.status_code == 409
    assert refused.json()["error"] == "refund_not_confirmed"


async def test_refund_paid_true_cancels_a_completed_order_and_refunds_every_payer(
    api: Api,
) -> None:
    order, refs = await completed_order(api)
    done = await api.post(f"/api/v1/orders/{order['id']}/cancel", {"refund_paid": True})
    assert done.status_code == 200, done.text
    body = done.json()
    assert body["order"]["state"] == "cancelled"
    assert body["order"]["refunded"] == "60.00"
    assert [r["sub_order_index"] for r in body["refunded"]] == [0, 1]
    assert sorted(api.rig.gateway.done("refund")) == sorted(f"py_{ref}" for ref in refs)


async def test_a_completed_mode_all_order_is_voided_only_with_refund_paid(api: Api) -> None:
    order, _ = await completed_order(api, mode="all")
    path = f"/api/v1/orders/{order['id']}/cancel"
    assert (await api.post(path)).status_code == 409
    done = await api.post(path, {"refund_paid": True})
    assert done.status_code == 200, done.text
    assert done.json()["order"]["state"] == "cancelled"
    assert len(done.json()["refunded"]) == 2


async def test_a_partly_paid_open_order_is_cancelled_and_its_paid_part_refunded(
    api: Api,
) -> None:
    """As the bot does once its Cancel is pressed twice: an open order needs no refund_paid."""
    order = await api.create(total="90", payers=3)
    ref = await pay_part(api, order, "bob")
    done = await api.post(f"/api/v1/orders/{order['id']}/cancel")
    assert done.status_code == 200, done.text
    assert done.json()["order"]["state"] == "cancelled"
    assert [r["sub_order_index"] for r in done.json()["refunded"]] == [0]
    assert api.rig.gateway.done("refund") == [f"py_{ref}"]


async def test_an_ended_order_is_still_order_closed_with_refund_paid(api: Api) -> None:
    order = await api.create()
    path = f"/api/v1/orders/{order['id']}/cancel"
    assert (await api.post(path)).status_code == 200
    again = await api.post(path, {"refund_paid": True})
    assert again.status_code == 409
    assert (again.json()["error"], again.json()["state"]) == ("order_closed", "cancelled")


async def test_refund_paid_must_be_true_or_false_and_nothing_else_is_taken(api: Api) -> None:
    order, _ = await completed_order(api)
    path = f"/api/v1/orders/{order['id']}/cancel"
    before = await snapshot(api.rig)
    for body in ({"refund_paid": "yes"}, {"refund_paid": 1}, {"refund": True}):
        refused = await api.client.post(path, json=body, headers=bearer(api.ann))
        assert refused.status_code == 422, body
        assert refused.json()["field"] in ("refund_paid", "refund")
    assert await snapshot(api.rig) == before


async def test_openapi_documents_refund_paid(api: Api) -> None:
    spec = (await api.client.get("/openapi.json")).json()
    cancel = spec["paths"]["/api/v1/orders/{order_id}/cancel"]["post"]
    assert "409" in cancel["responses"]
    assert "refund_not_confirmed" in cancel["description"]
    field = spec["components"]["schemas"]["CancelIn"]["properties"]["refund_paid"]
    assert (field["type"], field["default"]) == ("boolean", False)
