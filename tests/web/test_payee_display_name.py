"""The name a payee chooses to show payers (payee_display_name): checked when the order is made,
shown on the pay page, the paid page and the receipt; without it, no payee name anywhere."""

from __future__ import annotations

import json

import pytest

from tests.web.conftest import Api, bearer, snapshot, token_of
from tests.web.test_pay_page_end import paid_page


async def test_the_chosen_name_is_shown_to_payers_from_link_to_receipt(api: Api) -> None:
    order = await api.create(total="100", payers=3, payee_display_name="  Luigi's   Trattoria ")
    assert order["payee_display_name"] == "Luigi's Trattoria"
    public = (await api.client.get(f"/api/v1/pay/{token_of(order)}")).json()
    assert public["payee_display_name"] == "Luigi's Trattoria"
    shown = "Collected by <b>Luigi&#x27;s Trattoria</b>"
    assert shown in (await api.client.get(f"/pay/{token_of(order)}")).text
    page, link = await paid_page(api, order)
    assert shown in page.text
    assert shown in (await api.client.get(link)).text


async def test_without_a_chosen_name_no_payee_name_is_shown(api: Api) -> None:
    order = await api.create(total="100", payers=3, title="Dinner")
    assert order["payee_display_name"] is None
    page, link = await paid_page(api, order)
    for text in (
        (await api.client.get(f"/pay/{token_of(order)}")).text,
        page.text,
        (await api.client.get(link)).text,
    ):
        assert "Collected by" not in text
        assert "Ann" not in text  # the name the payee's key was made for


@pytest.mark.parametrize(
    ("name", "message"),
    [
        ("   ", "the display name is empty; leave it out to show no name"),
        ("L" * 65, "the display name is longer than 64 characters"),
        ("Luigi\u202e", "the display name contains control characters"),
        ("Luigi\x07", "the display name contains control characters"),
        ("Luigi\ud800", "payee_display_name: holds a character that cannot be stored"),
    ],
)
async def test_a_bad_display_name_is_refused_and_no_order_is_made(
    api: Api, name: str, message: str
) -> None:
    before = await snapshot(api.rig)
    body = json.dumps({"total": "60", "payers": 2, "payee_display_name": name})  # \ud800 escaped
    headers = {**bearer(api.ann), "Content-Type": "application/json"}
    refused = await api.client.post("/api/v1/orders", content=body.encode(), headers=headers)
    assert refused.status_code == 422
    assert refused.json()["field"] == "payee_display_name"
    assert refused.json()["message"].startswith(message)
    assert await snapshot(api.rig) == before
