"""POST /api/v1/orders with an Idempotency-Key: the same request again answers the first order;
the same key with another body is 422 (as the IETF httpapi Idempotency-Key draft has it)."""

from __future__ import annotations

from typing import Any

import pytest

from tests.web.conftest import Api, bearer, snapshot


async def create(api: Api, key: str, body: dict[str, Any]) -> Any:
    headers = {**bearer(api.ann), "Idempotency-Key": key}
    return await api.client.post("/api/v1/orders", json=body, headers=headers)


async def test_the_same_request_written_differently_replays_the_first_order(api: Api) -> None:
    first = await create(api, "dinner", {"total": "60", "payers": 2, "expires_in": "2h"})
    again = await create(api, "dinner", {"total": 60, "payers": 2, "expires_in": 7200})
    assert (first.status_code, again.status_code) == (201, 201)
    assert again.json()["id"] == first.json()["id"]
    assert (await api.get("/api/v1/orders")).json()["total"] == 1


@pytest.mark.parametrize(
    "other",
    [
        {"total": "61", "payers": 2},
        {"total": "60", "payers": 3},
        {"each": "30", "payers": 2},
        {"total": "60", "payers": 2, "title": "Lunch"},
        {"total": "60", "payers": 2, "mode": "all"},
        {"total": "60", "payers": 2, "currency": "EUR"},
        {"total": "60", "payers": 2, "password": "open-sesame"},
        {"total": "60", "payers": 2, "payee_display_name": "Ann"},
    ],
)
async def test_the_same_key_with_another_body_is_422_and_makes_nothing(
    api: Api, other: dict[str, Any]
) -> None:
    first = await create(api, "dinner", {"total": "60", "payers": 2})
    assert first.status_code == 201
    before = await snapshot(api.rig)
    refused = await create(api, "dinner", other)
    assert refused.status_code == 422
    body = refused.json()
    assert body["error"] == "idempotency_key_reused"
    assert "idempotency key was used for another order request" in body["message"]
    assert await snapshot(api.rig) == before


async def test_a_replay_must_give_the_same_password(api: Api) -> None:
    body = {"total": "60", "payers": 2, "password": "open-sesame"}
    first = await create(api, "dinner", body)
    same = await create(api, "dinner", body)
    other = await create(api, "dinner", {**body, "password": "open-sesame!"})
    assert (first.status_code, same.status_code, other.status_code) == (201, 201, 422)
    assert same.json()["id"] == first.json()["id"]
    assert "open-sesame" not in other.text


async def test_a_refused_replay_does_not_spoil_the_key(api: Api) -> None:
    first = await create(api, "dinner", {"total": "60", "payers": 2})
    assert (await create(api, "dinner", {"total": "70", "payers": 2})).status_code == 422
    again = await create(api, "dinner", {"total": "60", "payers": 2})
    assert again.status_code == 201
    assert again.json()["id"] == first.json()["id"]


async def test_openapi_says_what_a_reused_key_answers(api: Api) -> None:
    spec = (await api.client.get("/openapi.json")).json()
    create_doc = spec["paths"]["/api/v1/orders"]["post"]
    header = next(p for p in create_doc["parameters"] if p["name"] == "Idempotency-Key")
    assert "idempotency_key_reused" in header["description"]
    assert "idempotency_key_reused" in create_doc["description"]
