"""The counts of an order's parts: parts_unpaid, parts_free and, in mode all, authorised; the
older slots_left and available stay, marked deprecated."""

from __future__ import annotations

from typing import Any

from core.domain.model import OrderId
from tests.web.conftest import Api, token_of
from tests.web.test_orders_cancel import pay_part

COUNTS = ("paid_count", "parts_unpaid", "parts_free", "authorised")


def counts(doc: dict[str, Any]) -> tuple[int, ...]:
    return tuple(doc[k] for k in COUNTS)


async def views(api: Api, order: dict[str, Any]) -> tuple[dict[str, Any], dict[str, Any]]:
    """The payee's order and the public view behind its link."""
    mine = (await api.get(f"/api/v1/orders/{order['id']}")).json()
    public = (await api.client.get(f"/api/v1/pay/{token_of(order)}")).json()
    return mine, public


async def test_a_held_part_is_unpaid_but_not_free(api: Api) -> None:
    order = await api.create(total="90", payers=3)
    await pay_part(api, order, "bob")
    assert (await api.reserve(order, "cat")).status_code == 201
    mine, public = await views(api, order)
    assert counts(mine) == counts(public) == (1, 2, 1, 0)
    assert (public["slots_left"], public["available"]) == (2, 1)
    listed = (await api.get("/api/v1/orders")).json()["items"][0]
    assert (listed["paid_count"], listed["parts_unpaid"]) == (1, 2)


async def test_mode_all_counts_authorised_parts_until_they_are_captured(api: Api) -> None:
    order = await api.create(total="60", payers=2, mode="all")
    await pay_part(api, order, "bob")
    mine, public = await views(api, order)
    assert counts(mine) == counts(public) == (1, 1, 1, 1)
    await pay_part(api, order, "cat")  # all in: both captures are made
    mine, public = await views(api, order)
    assert mine["state"] == "completed"
    assert counts(mine) == counts(public) == (2, 0, 0, 0)
    async with api.rig.store.transaction() as tx:
        statuses = {p.status for p in await tx.payments.payments_of_order(OrderId(order["id"]))}
    assert statuses == {"captured"}


async def test_an_ended_order_has_no_free_parts(api: Api) -> None:
    order = await api.create(total="60", payers=2)
    assert (await api.post(f"/api/v1/orders/{order['id']}/cancel")).status_code == 200
    mine, public = await views(api, order)
    assert counts(mine) == counts(public) == (0, 2, 0, 0)


async def test_a_reservation_answer_says_parts_unpaid(api: Api) -> None:
    order = await api.create(total="60", payers=2)
    brief = (await api.reserve(order, "bob")).json()["order"]
    assert (brief["parts_unpaid"], brief["slots_left"]) == (2, 2)


async def test_openapi_marks_the_old_counts_deprecated_and_points_at_the_new(api: Api) -> None:
    schemas = (await api.client.get("/openapi.json")).json()["components"]["schemas"]
    public = schemas["PublicOrderOut"]["properties"]
    assert public["slots_left"]["deprecated"] is True
    assert "parts_unpaid" in public["slots_left"]["description"]
    assert public["available"]["deprecated"] is True
    assert "parts_free" in public["available"]["description"]
    brief = schemas["ReserveOrderOut"]["properties"]["slots_left"]
    assert brief["deprecated"] is True
    assert "parts_unpaid" in brief["description"]
    for name in ("PublicOrderOut", "OrderOut"):
        fields = schemas[name]["properties"]
        assert {"parts_unpaid", "parts_free", "authorised"} <= fields.keys()
        assert not any(fields[k].get("deprecated") for k in COUNTS)
    assert "authorised" in schemas["OrderOut"]["properties"]["paid_count"]["description"]
