"""API keys: no key or a wrong one is 401 with a Bearer challenge; the key is never echoed;
too many wrong keys from one address are 429 without a look-up."""

from __future__ import annotations

from dataclasses import dataclass

import httpx
import pytest
from fastapi import FastAPI

from core.domain.model import PayeeId
from tests.web.conftest import Api, bearer, make_app, snapshot
from web.api.keyguard import KeyGuard

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


# ---- wrong keys are rate-limited per client address ----


class Ticks:
    """A monotonic clock the test moves."""

    def __init__(self) -> None:
        self.at = 1000.0

    def __call__(self) -> float:
        return self.at


@dataclass
class Guarded:
    """The API behind a guard of 3 wrong keys a minute, on a clock the test moves."""

    api: Api
    app: FastAPI
    ticks: Ticks

    async def get(self, key: str | None = None, host: str = "192.0.2.1") -> httpx.Response:
        """GET /api/v1/orders from `host`, with `key` (none if None)."""
        transport = httpx.ASGITransport(app=self.app, client=(host, 5555))
        async with httpx.AsyncClient(transport=transport, base_url="http://listener") as client:
            return await client.get("/api/v1/orders", headers=bearer(key) if key else {})


@pytest.fixture
async def guarded(api: Api) -> Guarded:
    ticks = Ticks()
    app = make_app(api.rig, key_guard=KeyGuard(max_failures=3, window_s=60, clock=ticks))
    return Guarded(api, app, ticks)


async def test_wrong_keys_past_the_limit_get_429_and_are_not_looked_up(
    guarded: Guarded, monkeypatch: pytest.MonkeyPatch
) -> None:
    engine = guarded.api.rig.engine
    looked_up: list[str] = []
    real = engine.authenticate

    async def counting(key: str) -> PayeeId | None:
        looked_up.append(key)
        return await real(key)

    monkeypatch.setattr(engine, "authenticate", counting)
    for i in range(3):
        assert (await guarded.get(f"chp_guess{i}")).status_code == 401
    before = await snapshot(guarded.api.rig)

    blocked = await guarded.get("chp_guess4")
    even_the_right_key = await guarded.get(guarded.api.ann)

    assert blocked.status_code == even_the_right_key.status_code == 429
    assert blocked.headers["Retry-After"] == "60"
    assert blocked.json()["error"] == "locked_out"
    assert "chp_guess4" not in blocked.text
    assert len(looked_up) == 3
    assert await snapshot(guarded.api.rig) == before


async def test_the_window_slides_and_then_the_right_key_works(guarded: Guarded) -> None:
    ann = guarded.api.ann
    for i in range(3):
        await guarded.get(f"chp_guess{i}")
        guarded.ticks.at += 10
    assert (await guarded.get(ann)).headers["Retry-After"] == "30"
    guarded.ticks.at += 30  # the first wrong key has left the window: one more try
    assert (await guarded.get(ann)).status_code == 200
    assert (await guarded.get("chp_guess3")).status_code == 401
    assert (await guarded.get(ann)).status_code == 429


async def test_right_keys_and_missing_keys_never_count(guarded: Guarded) -> None:
    for _ in range(20):
        assert (await guarded.get(guarded.api.ann)).status_code == 200
        assert (await guarded.get(None)).status_code == 401
    for i in range(2):
        await guarded.get(f"chp_guess{i}")
    assert (await guarded.get(guarded.api.ann)).status_code == 200


async def test_another_address_is_not_limited(guarded: Guarded) -> None:
    for i in range(3):
        await guarded.get(f"chp_guess{i}")
    assert (await guarded.get(guarded.api.ann)).status_code == 429
    assert (await guarded.get(guarded.api.bob, host="203.0.113.7")).status_code == 200


async def test_an_ipv6_client_counts_per_64_block(guarded: Guarded) -> None:
    for i in range(3):
        await guarded.get(f"chp_guess{i}", host=f"2001:db8:1:2::{i + 1:x}")
    ann = guarded.api.ann
    assert (await guarded.get(ann, host="2001:db8:1:2:ffff::9")).status_code == 429
    assert (await guarded.get(ann, host="2001:db8:1:3::1")).status_code == 200


def test_the_guard_keeps_a_bounded_number_of_addresses() -> None:
    guard = KeyGuard(max_failures=3, window_s=60, max_clients=100, clock=Ticks())
    for n in range(10_000):
        for _ in range(5):
            guard.failed(f"10.0.{n // 256}.{n % 256}")
    assert len(guard) == 100
    assert guard.blocked_for_s("10.0.39.15") == 60  # the newest are kept
    assert guard.blocked_for_s("10.0.0.0") is None  # the oldest forgotten
