"""Fixtures for the web tests: an engine over fakes, the app over it, and an HTTP client."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Any

import httpx
import pytest
from fastapi import FastAPI

from tests.support.harness import Rig, build_rig, dump, open_store
from web.api.keyguard import KeyGuard
from web.app import create_app
from web.context import HealthCheck

BASE_URL = "https://chipin.test"
MAX_AMOUNT_MINOR = 10_000_000


async def healthy() -> bool:
    return True


def make_app(
    rig: Rig, health: HealthCheck = healthy, key_guard: KeyGuard | None = None, **more: Any
) -> FastAPI:
    """The listener's app over the rig's engine; `more` goes to create_app as it is
    (chain_pem, extra_routes)."""
    return create_app(
        rig.engine,
        public_base_url=BASE_URL + "/",
        health=health,
        max_amount_minor=MAX_AMOUNT_MINOR,
        default_currency="USD",
        key_guard=key_guard,
        **more,
    )


def client_for(app: FastAPI) -> httpx.AsyncClient:
    return httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="https://listener")


async def snapshot(rig: Rig) -> object:
    """Everything the store holds, to prove that a refused request changed nothing."""
    return await dump(rig.store)


def bearer(key: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {key}"}


@dataclass
class Api:
    """The client plus two payees' keys: Ann (the default) and Bob."""

    client: httpx.AsyncClient
    rig: Rig
    ann: str
    bob: str

    async def create(self, key: str | None = None, **body: Any) -> dict[str, Any]:
        body.setdefault("total", "100")
        if "shares" not in body:
            body.setdefault("payers", 3)
        response = await self.client.post(
            "/api/v1/orders", json=body, headers=bearer(key or self.ann)
        )
        assert response.status_code == 201, response.text
        data: dict[str, Any] = response.json()
        return data

    async def get(self, path: str, key: str | None = None) -> httpx.Response:
        return await self.client.get(path, headers=bearer(key or self.ann))

    async def post(self, path: str, body: object = None, key: str | None = None) -> httpx.Response:
        return await self.client.post(path, json=body, headers=bearer(key or self.ann))

    async def reserve(
        self,
        order: dict[str, Any],
        payer: str,
        headers: dict[str, str] | None = None,
        **extra: Any,
    ) -> httpx.Response:
        token = token_of(order)
        return await self.client.post(
            f"/api/v1/pay/{token}/reserve", json={"payer": payer, **extra}, headers=headers
        )


def token_of(order: dict[str, Any]) -> str:
    pay_url: str = order["pay_url"]
    assert pay_url.startswith(BASE_URL + "/pay/")
    return pay_url.rsplit("/", 1)[1]


@pytest.fixture
async def rig(store_url: str | None) -> AsyncIterator[Rig]:
    """The web tests run over the in-memory store, SQLite and PostgreSQL."""
    async with open_store(store_url) as store:
        yield build_rig(store)


@pytest.fixture
async def api(rig: Rig) -> AsyncIterator[Api]:
    _, ann = await rig.engine.create_api_key("Ann")
    _, bob = await rig.engine.create_api_key("Bob")
    async with client_for(make_app(rig)) as client:
        yield Api(client, rig, ann, bob)
