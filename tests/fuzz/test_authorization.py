"""Another payee's order, seen through every door a key opens: 404 or empty, nothing changed.

tests/web/test_orders_read.py covers get, cancel and the QR code; tests/web/
test_records_api.py the records filter and receipts. Here: the CSV exports, and that an
order's id and its public token are not interchangeable (paying goes through the token).
"""

from __future__ import annotations

import csv
import io
from typing import Any

from tests.web.conftest import Api, snapshot, token_of


async def _bobs_paid_order(api: Api) -> tuple[dict[str, Any], str]:
    """Bob's order with one part paid, and that payment's id."""
    order = await api.create(api.bob, total="30", payers=2, title="Lunch")
    held = await api.rig.engine.reserve(token_of(order), "cat", source="cat")
    assert held.sub.checkout_ref is not None
    event = api.rig.gateway.pay(held.sub.checkout_ref)
    await api.rig.engine.apply_event(event)
    async with api.rig.store.transaction() as tx:
        payment = await tx.payments.get_payment(event.gateway, event.payment_ref)
    assert payment is not None
    return order, payment.id


async def test_another_payees_order_is_in_none_of_my_exports(api: Api) -> None:
    order, _ = await _bobs_paid_order(api)
    before = await snapshot(api.rig)

    records = await api.get(f"/api/v1/records.csv?order_id={order['id']}")
    everything = await api.get("/api/v1/records.csv")
    stats = await api.get("/api/v1/stats.csv")

    assert records.status_code == everything.status_code == stats.status_code == 200
    assert list(csv.DictReader(io.StringIO(records.text))) == []
    assert list(csv.DictReader(io.StringIO(everything.text))) == []
    assert order["id"] not in stats.text
    assert "Lunch" not in records.text + everything.text + stats.text
    assert await snapshot(api.rig) == before


async def test_an_order_id_is_no_payment_link_and_a_token_is_no_order_id(api: Api) -> None:
    order, payment_id = await _bobs_paid_order(api)
    token = token_of(order)
    before = await snapshot(api.rig)

    as_link = await api.client.get(f"/api/v1/pay/{order['id']}")
    reserve = await api.client.post(f"/api/v1/pay/{order['id']}/reserve", json={"payer": "eve"})
    page = await api.client.get(f"/pay/{order['id']}")
    form = await api.client.post(f"/pay/{order['id']}", data={"name": "eve"})
    by_token = [await api.get(f"/api/v1/orders/{token}", key=key) for key in (api.ann, api.bob)]
    by_payment = await api.client.get(f"/api/v1/pay/{payment_id}")

    assert [as_link.status_code, reserve.status_code, page.status_code, form.status_code] == [
        404
    ] * 4
    assert [r.status_code for r in by_token] == [404, 404]
    assert by_payment.status_code == 404
    assert await snapshot(api.rig) == before
    # the link itself works: the refusals above were for the door, not the order
    assert (await api.client.get(f"/api/v1/pay/{token}")).status_code == 200
