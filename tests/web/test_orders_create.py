"""POST /api/v1/orders: splits, exact amounts, every refusal naming its field, idempotency."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from decimal import Decimal
from typing import Any

import pytest
from hypothesis import assume, given
from hypothesis import strategies as st

from core.domain.errors import InvalidInput
from core.domain.money import currency
from core.domain.params import build_request
from tests.web.conftest import Api, bearer, snapshot
from web.api.schemas import CreateOrderIn


def amounts(order: dict[str, Any]) -> list[str]:
    return [s["amount"] for s in order["sub_orders"]]


async def test_remainder_cent_goes_to_first_payer(api: Api) -> None:
    order = await api.create(total="100", payers=3, title="Dinner", expires_in="2h")
    assert amounts(order) == ["33.34", "33.33", "33.33"]
    assert [s["amount_minor"] for s in order["sub_orders"]] == [3334, 3333, 3333]
    assert order["total"] == "100.00"
    assert order["total_minor"] == 10000
    assert order["currency"] == "USD"
    assert order["n"] == 3
    assert order["kind"] == "equal"
    assert order["state"] == "open"
    assert order["mode"] == "keep"
    assert order["title"] == "Dinner"
    assert order["paid_count"] == 0
    assert order["paid"] == "0.00"
    assert order["refunded"] == "0.00"
    assert [s["index"] for s in order["sub_orders"]] == [0, 1, 2]
    assert {s["state"] for s in order["sub_orders"]} == {"available"}
    assert order["qr_url"] == f"https://chipin.test/api/v1/orders/{order['id']}/qr.png"
    assert order["expires_at"] > order["created_at"]
    assert order["closed_at"] is None


async def test_shares_as_list_or_text_split_by_weight(api: Api) -> None:
    as_list = await api.create(total="240", shares=[2, 1, 1])
    as_text = await api.create(total="240", shares="2:1:1")
    assert amounts(as_list) == amounts(as_text) == ["120.00", "60.00", "60.00"]
    assert as_list["kind"] == "shares"
    assert as_list["n"] == 3


async def test_each_is_a_fixed_amount_per_payer(api: Api) -> None:
    order = await api.create(total=None, each="12.50", payers=4, mode="all")
    assert amounts(order) == ["12.50"] * 4
    assert order["total"] == "50.00"
    assert order["kind"] == "each"
    assert order["mode"] == "all"


async def test_currency_without_decimals(api: Api) -> None:
    order = await api.create(total="1000", payers=3, currency="jpy")
    assert order["currency"] == "JPY"
    assert amounts(order) == ["334", "333", "333"]


@pytest.mark.parametrize(
    ("raw", "total_minor"),
    [
        (b'{"total": 240.10, "payers": 2}', 24010),
        (b'{"total": 0.1, "payers": 1}', 10),
        (b'{"total": 100, "payers": 3}', 10000),
        (b'{"total": 1E+2, "payers": 3}', 10000),
    ],
)
async def test_json_numbers_are_read_exactly(api: Api, raw: bytes, total_minor: int) -> None:
    headers = {**bearer(api.ann), "Content-Type": "application/json"}
    response = await api.client.post("/api/v1/orders", content=raw, headers=headers)
    assert response.status_code == 201, response.text
    assert response.json()["total_minor"] == total_minor


BAD_BODIES: list[tuple[dict[str, Any], str]] = [
    ({"total": "-5", "payers": 3}, "total"),
    ({"total": "0", "payers": 3}, "total"),
    ({"total": "abc", "payers": 3}, "total"),
    ({"total": "10.123", "payers": 3}, "total"),
    ({"total": "100.5", "payers": 3, "currency": "JPY"}, "total"),
    ({"total": "100000.01", "payers": 3}, "total"),
    ({"total": True, "payers": 3}, "total"),
    ({"total": "100", "payers": 0}, "payers"),
    ({"total": "100", "payers": 1001}, "payers"),
    ({"total": "100", "payers": -2}, "payers"),
    ({"total": "100", "payers": "abc"}, "payers"),
    ({"total": "100", "payers": "3"}, "payers"),
    ({"total": "0.02", "payers": 3}, "payers"),
    ({"total": "100", "each": "10", "payers": 3}, "total"),
    ({"payers": 3}, "total"),
    ({"total": "100"}, "payers"),
    ({"total": "100", "payers": 3, "shares": "1:1"}, "payers"),
    ({"each": "10", "shares": "1:1"}, "payers"),
    ({"total": "100", "shares": [2, 0, 1]}, "shares"),
    ({"total": "100", "shares": "2:x"}, "shares"),
    ({"total": "100", "payers": 3, "expires_in": "99y"}, "expires_in"),
    ({"total": "100", "payers": 3, "expires_in": "10s"}, "expires_in"),
    ({"total": "100", "payers": 3, "expires_in": "31d"}, "expires_in"),
    ({"total": "100", "payers": 3, "expires_in": 10}, "expires_in"),
    ({"total": "100", "payers": 3, "expires_in": -60}, "expires_in"),
    ({"total": "100", "payers": 3, "expires_in": 10**30}, "expires_in"),
    ({"total": "100", "payers": 3, "expires_in": 1.5}, "expires_in"),
    ({"total": "100", "payers": 3, "hold": "2h"}, "hold"),
    ({"total": "100", "payers": 3, "currency": "XYZ"}, "currency"),
    ({"total": "100", "payers": 3, "mode": "maybe"}, "mode"),
    ({"total": "100", "payers": 3, "password": "abc"}, "password"),
    ({"total": "100", "payers": 3, "title": 5}, "title"),
    ({"total": "100", "payers": 3, "title": "x" * 101}, "title"),
    ({"total": "100", "payers": 3, "payer": "typo"}, "payer"),
]


@pytest.mark.parametrize(("body", "field"), BAD_BODIES)
async def test_bad_input_is_422_naming_the_field_and_changes_nothing(
    api: Api, body: dict[str, Any], field: str
) -> None:
    before = await snapshot(api.rig)
    response = await api.post("/api/v1/orders", body)
    assert response.status_code == 422, response.text
    error = response.json()
    assert error["error"] == "invalid_input"
    assert error["field"] == field
    assert len(error["message"]) > 10
    assert await snapshot(api.rig) == before


async def test_a_refusal_body_is_the_english_reason_and_the_field_only(api: Api) -> None:
    response = await api.post("/api/v1/orders", {"total": "0.001", "payers": 2})
    assert response.status_code == 422
    assert response.json() == {
        "error": "invalid_input",
        "message": "USD has at most 2 decimals",
        "field": "total",
    }


async def test_type_errors_read_like_sentences(api: Api) -> None:
    response = await api.post("/api/v1/orders", {"total": "100", "payers": "abc"})
    error = response.json()
    assert error["message"] == "payers: must be a whole number"
    assert error["details"] == [{"field": "payers", "message": "payers: must be a whole number"}]


async def test_unknown_fields_are_refused(api: Api) -> None:
    response = await api.post("/api/v1/orders", {"total": "100", "payers": 3, "colour": "red"})
    assert response.json()["message"] == "colour: is not a known field"


@pytest.mark.parametrize(
    ("raw", "content_type"),
    [(b"{not json", "application/json"), (b"[1, 2]", "application/json"), (b"", "")],
)
async def test_a_body_that_is_not_an_object_is_422(api: Api, raw: bytes, content_type: str) -> None:
    headers = {**bearer(api.ann), "Content-Type": content_type}
    response = await api.client.post("/api/v1/orders", content=raw, headers=headers)
    assert response.status_code == 422
    assert response.json()["field"] == "body"


@pytest.mark.parametrize(
    "raw",
    [
        b'{"total": "100", "payers": 3, "title": "\xff\xfe"}',  # not UTF-8
        b"\xff\xfe{",
        b"[" * 30_000 + b"]" * 30_000,  # nested past the parser's recursion limit
        b'{"total": ' + b"9" * 5000 + b', "payers": 3}',  # past int()'s 4300 digits
    ],
)
async def test_a_body_json_cannot_read_is_422_not_400(api: Api, raw: bytes) -> None:
    """Found by schemathesis: these were a bare 400 'There was an error parsing the body',
    a status the API does not document."""
    headers = {**bearer(api.ann), "Content-Type": "application/json"}
    response = await api.client.post("/api/v1/orders", content=raw, headers=headers)
    assert response.status_code == 422, response.text
    assert response.json() == {
        "error": "invalid_input",
        "field": "body",
        "message": "the request body is not valid JSON",
        "details": [{"field": "body", "message": "the request body is not valid JSON"}],
    }


@pytest.mark.parametrize("exponent", ["1E+999999999", "1E-999999999", "-1E+999999999"])
async def test_a_json_number_with_a_huge_exponent_is_refused_without_writing_it_out(
    api: Api, exponent: str
) -> None:
    """Found by fuzzing: 1E+999999999 was written out as a 1 GB string of digits."""
    raw = f'{{"total": {exponent}, "payers": 3}}'.encode()
    headers = {**bearer(api.ann), "Content-Type": "application/json"}
    response = await api.client.post("/api/v1/orders", content=raw, headers=headers)
    assert response.status_code == 422, response.text
    assert response.json()["field"] == "total"
    assert len(response.text) < 200


async def test_a_body_over_64_kib_is_413(api: Api) -> None:
    before = await snapshot(api.rig)
    response = await api.post("/api/v1/orders", {"total": "1", "payers": 1, "title": "x" * 70_000})
    assert response.status_code == 413  # refused on its Content-Length, before reading it
    # found by tests/fuzz: Starlette's limiter answered this one in plain text
    assert response.headers["Content-Type"] == "application/json"
    assert response.json() == {"error": "too_large", "message": "the request body is over 64 KiB"}
    assert await snapshot(api.rig) == before


async def test_a_streamed_body_is_cut_off_at_64_kib(api: Api) -> None:
    async def chunks() -> AsyncIterator[bytes]:
        yield b'{"total": "1", "payers": 1, "title": "'
        for _ in range(10):
            yield b"x" * 8192

    headers = {**bearer(api.ann), "Content-Type": "application/json"}
    response = await api.client.post("/api/v1/orders", content=chunks(), headers=headers)
    assert response.status_code == 413
    assert response.json()["error"] == "too_large"


async def test_idempotency_key_replay_returns_the_first_order(api: Api) -> None:
    headers = {**bearer(api.ann), "Idempotency-Key": "k-123"}
    body = {"total": "60", "payers": 2}
    first = await api.client.post("/api/v1/orders", json=body, headers=headers)
    again = await api.client.post("/api/v1/orders", json=body, headers=headers)
    assert first.status_code == again.status_code == 201
    assert again.json()["id"] == first.json()["id"]
    assert again.json() == first.json()
    listed = (await api.get("/api/v1/orders")).json()
    assert listed["total"] == 1
    other = await api.client.post(
        "/api/v1/orders", json=body, headers={**bearer(api.ann), "Idempotency-Key": "k-124"}
    )
    assert other.json()["id"] != first.json()["id"]


async def test_the_same_idempotency_key_of_another_payee_is_a_new_order(api: Api) -> None:
    body = {"total": "60", "payers": 2}
    ann = await api.client.post(
        "/api/v1/orders", json=body, headers={**bearer(api.ann), "Idempotency-Key": "same"}
    )
    bob = await api.client.post(
        "/api/v1/orders", json=body, headers={**bearer(api.bob), "Idempotency-Key": "same"}
    )
    assert ann.json()["id"] != bob.json()["id"]


async def test_an_empty_idempotency_key_is_refused(api: Api) -> None:
    headers = {**bearer(api.ann), "Idempotency-Key": ""}
    response = await api.client.post(
        "/api/v1/orders", json={"total": "1", "payers": 1}, headers=headers
    )
    assert response.status_code == 422
    assert response.json()["field"] == "Idempotency-Key"


async def test_the_order_password_is_write_only(api: Api) -> None:
    response = await api.post(
        "/api/v1/orders", {"total": "10", "payers": 2, "password": "sesame-42"}
    )
    assert response.status_code == 201
    assert response.json()["has_password"] is True
    again = await api.get(f"/api/v1/orders/{response.json()['id']}")
    for text in (response.text, again.text):
        assert "sesame-42" not in text
        assert "scrypt" not in text
        assert "password_hash" not in text


@given(
    amount=st.decimals(min_value=Decimal("0.01"), max_value=Decimal("100000"), places=2),
    as_number=st.booleans(),
)
def test_any_two_decimal_amount_arrives_exactly(amount: Decimal, as_number: bool) -> None:
    raw = (
        f'{{"total": {amount}, "payers": 1}}'
        if as_number
        else f'{{"total": "{amount}", "payers": 1}}'
    )
    body = CreateOrderIn.model_validate(json.loads(raw, parse_float=Decimal))
    req = build_request(body.to_raw(currency("USD")), max_minor=10_000_000)
    assert req.total_minor == int(amount * 100)


@given(amount=st.decimals(min_value=Decimal("0.001"), max_value=Decimal("1000"), places=3))
def test_a_third_decimal_is_refused_not_rounded(amount: Decimal) -> None:
    assume(amount != amount.quantize(Decimal("0.01")))
    body = CreateOrderIn.model_validate(
        json.loads(f'{{"total": {amount}, "payers": 1}}', parse_float=Decimal)
    )
    with pytest.raises(InvalidInput) as caught:
        build_request(body.to_raw(currency("USD")), max_minor=10_000_000)
    assert caught.value.field == "total"
