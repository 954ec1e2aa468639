"""GET/list/cancel/QR of orders, and isolation: one payee never reaches another's orders."""

from __future__ import annotations

import io

import pytest
import zxingcpp
from PIL import Image

from bot.views import qr
from tests.web.conftest import Api, snapshot


async def test_get_returns_the_order_with_its_sub_orders(api: Api) -> None:
    created = await api.create(total="100", payers=3, title="Lunch")
    response = await api.get(f"/api/v1/orders/{created['id']}")
    assert response.status_code == 200
    assert response.json() == created


async def test_unknown_order_is_404(api: Api) -> None:
    response = await api.get("/api/v1/orders/ord_999999")
    assert response.status_code == 404
    assert response.json() == {"error": "not_found", "message": "no such order"}


async def test_list_pages_through_my_orders_newest_first(api: Api) -> None:
    ids = [(await api.create(title=f"o{i}"))["id"] for i in range(3)]
    await api.create(key=api.bob)
    first = (await api.get("/api/v1/orders?limit=2&offset=0")).json()
    rest = (await api.get("/api/v1/orders?limit=2&offset=2")).json()
    assert first["total"] == rest["total"] == 3
    assert (first["limit"], first["offset"], rest["offset"]) == (2, 0, 2)
    listed = [o["id"] for o in first["items"] + rest["items"]]
    assert sorted(listed) == sorted(ids)
    assert "sub_orders" not in first["items"][0]
    assert first["items"][0]["pay_url"].startswith("https://chipin.test/pay/")


async def test_list_defaults_to_twenty(api: Api) -> None:
    page = (await api.get("/api/v1/orders")).json()
    assert page == {"items": [], "total": 0, "limit": 20, "offset": 0}


@pytest.mark.parametrize(
    ("query", "field"),
    [
        ("limit=0", "limit"),
        ("limit=101", "limit"),
        ("limit=x", "limit"),
        ("offset=-1", "offset"),
        # found by schemathesis: past a 64-bit integer, SQLite raised OverflowError (a 503)
        ("offset=2965780589568738383294889984", "offset"),
        ("offset=1000001", "offset"),
    ],
)
async def test_bad_paging_is_422(api: Api, query: str, field: str) -> None:
    response = await api.get(f"/api/v1/orders?{query}")
    assert response.status_code == 422
    assert response.json()["field"] == field


async def test_another_payees_order_is_404_everywhere(api: Api) -> None:
    order = await api.create()
    before = await snapshot(api.rig)
    path = f"/api/v1/orders/{order['id']}"
    get = await api.get(path, key=api.bob)
    cancel = await api.post(path + "/cancel", key=api.bob)
    qr = await api.get(path + "/qr.png", key=api.bob)
    assert get.status_code == cancel.status_code == qr.status_code == 404
    assert get.json() == (await api.get("/api/v1/orders/ord_999999", key=api.bob)).json()
    assert await snapshot(api.rig) == before
    assert (await api.get("/api/v1/orders", key=api.bob)).json()["total"] == 0
    assert (await api.get(path)).json()["state"] == "open"


async def test_cancel_closes_the_order_and_lists_refunds(api: Api) -> None:
    order = await api.create(total="90", payers=3)
    reserved = await api.reserve(order, "bob")
    assert reserved.status_code == 201
    checkout_ref = next(iter(api.rig.gateway.checkouts))
    await api.rig.engine.apply_event(api.rig.gateway.pay(checkout_ref))
    response = await api.post(f"/api/v1/orders/{order['id']}/cancel")
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["order"]["state"] == "cancelled"
    assert body["order"]["closed_at"] is not None
    assert body["order"]["refunded"] == "30.00"
    assert [s["state"] for s in body["order"]["sub_orders"]] == ["refunded", "closed", "closed"]
    [refund] = body["refunded"]
    assert refund["sub_order_index"] == 0
    assert refund["amount"] == "30.00"
    assert refund["status"] in ("refund_pending", "refunded")
    assert refund["payment_id"].startswith("pmt_")
    assert api.rig.gateway.done("refund") == ["py_" + checkout_ref]


async def test_cancelling_twice_is_409_and_changes_nothing(api: Api) -> None:
    order = await api.create()
    assert (await api.post(f"/api/v1/orders/{order['id']}/cancel")).status_code == 200
    before = await snapshot(api.rig)
    again = await api.post(f"/api/v1/orders/{order['id']}/cancel")
    assert again.status_code == 409
    assert again.json()["error"] == "order_closed"
    assert again.json()["state"] == "cancelled"
    assert await snapshot(api.rig) == before


async def test_qr_png_decodes_to_exactly_the_pay_link(api: Api) -> None:
    order = await api.create()
    response = await api.get(f"/api/v1/orders/{order['id']}/qr.png")
    assert response.status_code == 200
    assert response.headers["content-type"] == "image/png"
    image = Image.open(io.BytesIO(response.content))
    [code] = zxingcpp.read_barcodes(image)
    assert code.text == order["pay_url"]
    assert code.format == zxingcpp.BarcodeFormat.QRCode


async def test_qr_images_are_rendered_once_per_token_and_evicted_lru(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    rendered: list[str] = []

    def fake_render(text: str) -> bytes:
        rendered.append(text)
        return text.encode()

    monkeypatch.setattr(qr, "render_png", fake_render)
    cache = qr.QrCache(size=2)
    assert await cache.png("a", "link-a") == b"link-a"
    assert await cache.png("a", "link-a") == b"link-a"
    await cache.png("b", "link-b")
    await cache.png("a", "link-a")  # a is now the most recent
    await cache.png("c", "link-c")  # evicts b
    await cache.png("b", "link-b")
    assert rendered == ["link-a", "link-b", "link-c", "link-b"]
    assert len(cache) == 2
