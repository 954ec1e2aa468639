"""API keys: no key or a wrong one is 401 with a Bearer challenge; the key is never echoed."""

from __future__ import annotations

import pytest

from tests.web.conftest import Api, bearer, snapshot

PROTECTED = [
    ("POST", "/api/v1/orders"),
    ("GET", "/api/v1/orders"),
    ("GET", "/api/v1/orders/ord_000001"),
    ("POST", "/api/v1/orders/ord_000001/cancel"),
    ("GET", "/api/v1/orders/ord_000001/qr.png"),
]


@pytest.mark.parametrize(("method", "path"), PROTECTED)
async def test_no_key_is_401_with_a_bearer_challenge(api: Api, method: str, path: str) -> None:
    before = await snapshot(api.rig)
    response = await api.client.request(method, path, json={"total": "1", "payers": 1})
    assert response.status_code == 401
    assert response.headers["WWW-Authenticate"] == "Bearer"
    assert response.json()["error"] == "unauthorized"
    assert await snapshot(api.rig) == before


@pytest.mark.parametrize(
    "authorization",
    ["Bearer chp_not-a-real-key", "Bearer nonsense", "Basic dXNlcjpwYXNz", "Bearer " + "x" * 500],
)
async def test_a_wrong_key_is_401_and_not_echoed(api: Api, authorization: str) -> None:
    response = await api.client.post(
        "/api/v1/orders",
        json={"total": "1", "payers": 1},
        headers={"Authorization": authorization},
    )
    assert response.status_code == 401
    assert response.headers["WWW-Authenticate"].startswith("Bearer")
    secret = authorization.split(" ", 1)[1]
    assert secret not in response.text
    assert (await api.get("/api/v1/orders")).json()["total"] == 0


async def test_an_invalid_key_is_challenged_as_invalid_token(api: Api) -> None:
    response = await api.get("/api/v1/orders", key="chp_wrong")
    assert response.headers["WWW-Authenticate"] == 'Bearer error="invalid_token"'


async def test_auth_is_checked_before_the_body(api: Api) -> None:
    response = await api.client.post("/api/v1/orders", json={"payers": "abc"})
    assert response.status_code == 401


async def test_a_valid_key_works(api: Api) -> None:
    response = await api.client.get("/api/v1/orders", headers=bearer(api.ann))
    assert response.status_code == 200
