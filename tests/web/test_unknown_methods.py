"""An unknown payment method, gateway, method kind or mode is 422 naming the values allowed,
and changes nothing."""

from __future__ import annotations

import pytest

from tests.web.conftest import Api, snapshot, token_of

SEPA = {"kind": "sepa", "holder": "Ann Example", "iban": "DE89 3704 0044 0532 0130 00"}


@pytest.mark.parametrize("field", ["method", "gateway"])
async def test_reserving_with_an_unknown_method_names_the_orders_methods(
    api: Api, field: str
) -> None:
    assert (await api.post("/api/v1/methods", SEPA)).status_code == 201
    order = await api.create(total="100", payers=2, currency="EUR")
    before = await snapshot(api.rig)
    path = f"/api/v1/pay/{token_of(order)}/reserve"
    refused = await api.client.post(path, json={"payer": "bob", field: "paypal"})
    assert refused.status_code == 422
    assert refused.json() == {
        "error": "invalid_input",
        "field": field,
        "message": "'paypal' is not a payment method here; choose one of: fake, sepa",
    }
    assert await snapshot(api.rig) == before


async def test_the_allowed_methods_are_those_the_order_takes(api: Api) -> None:
    """A payee's SEPA account takes only EUR: a USD order names the gateway alone."""
    assert (await api.post("/api/v1/methods", SEPA)).status_code == 201
    order = await api.create(total="100", payers=2, currency="USD")
    refused = await api.reserve(order, "bob", method="Stripe ")
    assert refused.status_code == 422
    assert refused.json()["message"].endswith("choose one of: fake")


async def test_an_unknown_method_of_an_unknown_order_is_404(api: Api) -> None:
    refused = await api.client.post(
        "/api/v1/pay/no-such-token/reserve", json={"payer": "bob", "method": "paypal"}
    )
    assert refused.status_code == 404


@pytest.mark.parametrize("spelled", ["fake", "Fake", " FAKE "])
async def test_a_known_method_is_taken_however_it_is_capitalised(api: Api, spelled: str) -> None:
    order = await api.create()
    taken = await api.reserve(order, "bob", method=spelled)
    assert taken.status_code == 201, taken.text


async def test_an_unknown_mode_names_keep_and_all(api: Api) -> None:
    before = await snapshot(api.rig)
    refused = await api.post("/api/v1/orders", {"total": "60", "payers": 2, "mode": "some"})
    assert refused.status_code == 422
    assert refused.json()["field"] == "mode"
    assert "'keep'" in refused.json()["message"]
    assert "'all'" in refused.json()["message"]
    assert await snapshot(api.rig) == before


async def test_an_unknown_kind_of_method_names_sepa_pix_and_upi(api: Api) -> None:
    refused = await api.post("/api/v1/methods", {**SEPA, "kind": "swift"})
    assert refused.status_code == 422
    assert refused.json()["field"] == "kind"
    assert "sepa, pix or upi" in refused.json()["message"]
