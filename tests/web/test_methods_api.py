"""A payee's own receiving methods over the API: listed in full behind the key, one per kind,
each field checked by name; payers see only which kinds an order takes."""

from __future__ import annotations

from typing import Any

import pytest

from core.domain.methods import SEPA_NAME_WARNING
from tests.web.conftest import Api, bearer, snapshot, token_of

IBAN = "DE89370400440532013000"  # the IBAN registry's German example (valid check digits)
SEPA = {"kind": "sepa", "holder": "Ann Example", "iban": "DE89 3704 0044 0532 0130 00"}
PIX = {"kind": "pix", "holder": "Ana Souza", "key": "ana@example.com", "city": "Recife"}
UPI = {"kind": "upi", "holder": "Ann", "vpa": "Ann.E@okaxis"}


async def add(api: Api, body: dict[str, Any], key: str | None = None) -> dict[str, Any]:
    response = await api.post("/api/v1/methods", body, key)
    assert response.status_code == 201, response.text
    data: dict[str, Any] = response.json()
    return data


async def test_a_payee_adds_lists_and_removes_methods(api: Api) -> None:
    assert (await api.get("/api/v1/methods")).json() == {"items": []}
    sepa = await add(api, {**SEPA, "bic": "COBADEFFXXX"})
    assert sepa["id"].startswith("mth")
    assert {k: v for k, v in sepa.items() if k not in ("id", "created_at")} == {
        "kind": "sepa",
        "label": "SEPA bank transfer",
        "currency": "EUR",
        "holder": "Ann Example",
        "account": IBAN,  # in full: the payee's own data, behind the key
        "bic": "COBADEFFXXX",
        "city": None,
        "notice": SEPA_NAME_WARNING,
    }
    pix = await add(api, PIX)
    assert (pix["currency"], pix["account"], pix["city"], pix["notice"]) == (
        "BRL",
        "ana@example.com",
        "Recife",
        None,
    )
    upi = await add(api, UPI)
    assert (upi["currency"], upi["account"], upi["notice"]) == ("INR", "ann.e@okaxis", None)
    listed = (await api.get("/api/v1/methods")).json()["items"]
    assert [m["kind"] for m in listed] == ["sepa", "pix", "upi"]
    assert listed[0] == {k: v for k, v in sepa.items() if k != "notice"}

    removed = await api.client.delete(f"/api/v1/methods/{sepa['id']}", headers=bearer(api.ann))
    assert (removed.status_code, removed.content) == (204, b"")
    assert [m["kind"] for m in (await api.get("/api/v1/methods")).json()["items"]] == [
        "pix",
        "upi",
    ]
    again = await api.client.delete(f"/api/v1/methods/{sepa['id']}", headers=bearer(api.ann))
    assert again.status_code == 404
    assert again.json()["error"] == "not_found"


async def test_a_second_method_of_a_kind_is_409_and_changes_nothing(api: Api) -> None:
    await add(api, SEPA)
    before = await snapshot(api.rig)
    second = await api.post("/api/v1/methods", {**SEPA, "iban": "NL91ABNA0417164300"})
    assert second.status_code == 409
    assert second.json()["error"] == "conflict"
    assert second.json()["kind"] == "sepa"
    assert "remove it first" in second.json()["message"]
    assert await snapshot(api.rig) == before


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({**SEPA, "iban": "DE89370400440532013001"}, "iban"),  # a wrong check digit
        ({**SEPA, "holder": ""}, "holder"),
        ({**SEPA, "holder": "x" * 71}, "holder"),
        ({**SEPA, "bic": "NOTABIC"}, "bic"),
        ({"kind": "sepa", "holder": "Ann"}, "iban"),
        ({**PIX, "key": "123"}, "key"),
        ({**PIX, "city": ""}, "city"),
        ({**UPI, "vpa": "no-handle"}, "vpa"),
        ({**UPI, "kind": "paypal"}, "kind"),
        ({**UPI, "iban": IBAN}, "iban"),  # a field of another kind
        ({**SEPA, "city": "Berlin"}, "city"),
        ({**SEPA, "account": IBAN}, "account"),  # not a field at all
        ({"kind": "sepa", "iban": IBAN}, "holder"),
        ({**SEPA, "holder": 5}, "holder"),
        ({**SEPA, "iban": "D" * 65}, "iban"),
    ],
)
async def test_bad_method_fields_are_422_naming_the_field(
    api: Api, body: dict[str, Any], field: str
) -> None:
    before = await snapshot(api.rig)
    response = await api.post("/api/v1/methods", body)
    assert response.status_code == 422, response.text
    assert response.json()["error"] == "invalid_input"
    assert response.json()["field"] == field
    assert await snapshot(api.rig) == before


async def test_one_payees_methods_are_theirs_alone(api: Api) -> None:
    mine = await add(api, SEPA)
    assert (await api.get("/api/v1/methods", api.bob)).json() == {"items": []}
    before = await snapshot(api.rig)
    theirs = await api.client.delete(f"/api/v1/methods/{mine['id']}", headers=bearer(api.bob))
    assert theirs.status_code == 404
    assert await snapshot(api.rig) == before
    bobs = await add(api, SEPA, api.bob)  # Bob may have a SEPA method of his own
    assert bobs["id"] != mine["id"]


@pytest.mark.parametrize(
    ("method", "path"),
    [("GET", "/api/v1/methods"), ("POST", "/api/v1/methods"), ("DELETE", "/api/v1/methods/m")],
)
async def test_every_method_route_needs_a_key(api: Api, method: str, path: str) -> None:
    response = await api.client.request(method, path, json=SEPA if method == "POST" else None)
    assert response.status_code == 401
    assert response.json()["error"] == "unauthorized"


async def test_the_public_view_lists_the_kinds_payers_may_choose_and_no_details(api: Api) -> None:
    await add(api, {**SEPA, "bic": "COBADEFFXXX"})
    await add(api, UPI)
    eur = await api.create(total="90", payers=3, currency="EUR")
    view = (await api.client.get(f"/api/v1/pay/{token_of(eur)}")).json()
    assert view["methods"] == [{"kind": "sepa", "currency": "EUR", "label": "SEPA bank transfer"}]
    assert view["gateways"] == ["fake"]
    text = str(view)
    assert not any(secret in text for secret in (IBAN, "Ann Example", "COBADEFFXXX", "okaxis"))
    usd = await api.create(total="90", payers=3)
    assert (await api.client.get(f"/api/v1/pay/{token_of(usd)}")).json()["methods"] == []
    all_mode = await api.create(total="90", payers=3, currency="EUR", mode="all")
    assert (await api.client.get(f"/api/v1/pay/{token_of(all_mode)}")).json()["methods"] == []
    inr = await api.create(total="900", payers=3, currency="INR")
    listed = (await api.client.get(f"/api/v1/pay/{token_of(inr)}")).json()["methods"]
    assert listed == [{"kind": "upi", "currency": "INR", "label": "UPI"}]
