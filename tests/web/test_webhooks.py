"""POST /webhooks/{gateway}: size limit, signature, unknown gateway, apply once, 503 on outage."""

from __future__ import annotations

import hashlib
import hmac
import json
import logging
from collections.abc import AsyncIterator, Mapping
from contextlib import asynccontextmanager
from datetime import datetime
from typing import Any

import pytest

from core.domain.errors import WebhookRejected
from core.ports.store import GatewayEvent, Store, Tx
from tests.support.fakes.gateway import FakeGateway
from tests.support.harness import Rig, build_rig, open_store
from tests.web.conftest import Api, snapshot

SECRET = b"whsec_test"


class SignedGateway(FakeGateway):
    """The fake gateway, with webhooks: HMAC-SHA256 of the raw body in X-Signature."""

    def parse_webhook(
        self, body: bytes, headers: Mapping[str, str], now: datetime
    ) -> list[GatewayEvent]:
        expected = hmac.new(SECRET, body, hashlib.sha256).hexdigest()
        if not hmac.compare_digest(headers.get("x-signature", ""), expected):
            raise WebhookRejected("bad signature")
        try:
            data = json.loads(body)
            checkout_ref, event_id = data["checkout"], data["id"]
        except (ValueError, KeyError, TypeError) as exc:
            raise WebhookRejected("malformed payload") from exc
        if checkout_ref not in self.checkouts:
            raise WebhookRejected("unknown checkout", status=422)
        return [self.pay(checkout_ref, event_id=event_id)]


class FlakyStore:
    """Any store, with a switch that makes every transaction fail to connect."""

    def __init__(self, inner: Store) -> None:
        self.inner = inner
        self.down = False

    @asynccontextmanager
    async def transaction(self) -> AsyncIterator[Tx]:
        if self.down:
            raise ConnectionRefusedError("could not connect to the database at db.internal")
        async with self.inner.transaction() as tx:
            yield tx


@pytest.fixture
async def rig(store_url: str | None) -> AsyncIterator[Rig]:
    async with open_store(store_url) as store:
        yield build_rig(store=FlakyStore(store), gateway=SignedGateway())


def signed(payload: dict[str, Any]) -> tuple[bytes, dict[str, str]]:
    body = json.dumps(payload).encode()
    signature = hmac.new(SECRET, body, hashlib.sha256).hexdigest()
    return body, {"X-Signature": signature, "Content-Type": "application/json"}


async def reserved_order(api: Api) -> dict[str, Any]:
    order = await api.create(total="100", payers=3)
    assert (await api.reserve(order, "bob")).status_code == 201
    return order


async def test_a_valid_webhook_is_applied_once(api: Api) -> None:
    order = await reserved_order(api)
    body, headers = signed({"id": "evt_1", "checkout": "co1"})
    response = await api.client.post("/webhooks/fake", content=body, headers=headers)
    assert response.status_code == 200, response.text
    assert response.json() == {"ok": True, "outcomes": ["applied"]}
    seen = (await api.get(f"/api/v1/orders/{order['id']}")).json()
    assert seen["paid_count"] == 1
    assert seen["paid"] == "33.34"
    assert seen["sub_orders"][0]["state"] == "paid"


async def test_a_duplicate_webhook_is_200_and_changes_nothing(api: Api) -> None:
    await reserved_order(api)
    body, headers = signed({"id": "evt_1", "checkout": "co1"})
    await api.client.post("/webhooks/fake", content=body, headers=headers)
    before = await snapshot(api.rig)
    again = await api.client.post("/webhooks/fake", content=body, headers=headers)
    assert again.status_code == 200
    assert again.json() == {"ok": True, "outcomes": ["duplicate"]}
    assert await snapshot(api.rig) == before
    other_id, other_headers = signed({"id": "evt_2", "checkout": "co1"})
    third = await api.client.post("/webhooks/fake", content=other_id, headers=other_headers)
    assert third.json()["outcomes"] == ["duplicate"]


@pytest.mark.parametrize(
    ("tamper", "status", "reason"),
    [
        ("signature", 400, "bad signature"),
        ("body", 400, "bad signature"),
        ("json", 400, "malformed payload"),
        ("checkout", 422, "unknown checkout"),
    ],
)
async def test_a_rejected_webhook_changes_nothing(
    api: Api, tamper: str, status: int, reason: str
) -> None:
    await reserved_order(api)
    body, headers = signed({"id": "evt_1", "checkout": "co1"})
    if tamper == "signature":
        headers["X-Signature"] = "0" * 64
    elif tamper == "body":
        body = body.replace(b"evt_1", b"evt_9")
    elif tamper == "json":
        body, headers = signed({"id": "evt_1"})
    else:
        body, headers = signed({"id": "evt_1", "checkout": "co99"})
    before = await snapshot(api.rig)
    response = await api.client.post("/webhooks/fake", content=body, headers=headers)
    assert response.status_code == status
    assert response.json() == {"ok": False, "error": "webhook_rejected", "message": reason}
    assert await snapshot(api.rig) == before


async def test_an_unknown_gateway_is_404(api: Api) -> None:
    body, headers = signed({"id": "evt_1", "checkout": "co1"})
    response = await api.client.post("/webhooks/paypal", content=body, headers=headers)
    assert response.status_code == 404
    assert response.json()["error"] == "not_found"


async def test_an_oversized_webhook_is_413(api: Api) -> None:
    before = await snapshot(api.rig)
    body = b'{"pad": "' + b"x" * (64 * 1024) + b'"}'
    response = await api.client.post("/webhooks/fake", content=body)
    assert response.status_code == 413
    assert response.json()["error"] == "too_large"
    assert await snapshot(api.rig) == before


async def test_a_streamed_webhook_is_cut_off_past_64_kib(api: Api) -> None:
    async def chunks() -> AsyncIterator[bytes]:
        for _ in range(9):
            yield b"x" * 8192

    response = await api.client.post("/webhooks/fake", content=chunks())
    assert response.status_code == 413
    assert response.json()["error"] == "too_large"


async def test_a_declared_length_over_the_limit_is_refused_unread(api: Api) -> None:
    headers = {"Content-Length": str(10 * 1024 * 1024)}
    response = await api.client.post("/webhooks/fake", content=b"{}", headers=headers)
    assert response.status_code == 413


async def test_exactly_64_kib_is_read(api: Api) -> None:
    response = await api.client.post("/webhooks/fake", content=b"x" * (64 * 1024))
    assert response.status_code == 400  # read in full, then refused by the signature check


async def test_a_database_outage_is_503_so_the_gateway_retries(
    api: Api, rig: Rig, caplog: pytest.LogCaptureFixture
) -> None:
    await reserved_order(api)
    store = rig.store
    assert isinstance(store, FlakyStore)
    store.down = True
    body, headers = signed({"id": "evt_1", "checkout": "co1"})
    with caplog.at_level(logging.ERROR, logger="web"):
        response = await api.client.post("/webhooks/fake", content=body, headers=headers)
    assert response.status_code == 503
    assert response.json()["error"] == "unavailable"
    assert "db.internal" not in response.text
    [record] = [r for r in caplog.records if r.name.startswith("web")]
    assert record.exc_info is not None
    assert "/webhooks/{gateway}" in record.getMessage()
    assert body.decode() not in caplog.text
    store.down = False
    retried = await api.client.post("/webhooks/fake", content=body, headers=headers)
    assert retried.json()["outcomes"] == ["applied"]


async def test_a_webhook_is_handled_without_a_worker_thread(
    api: Api, monkeypatch: pytest.MonkeyPatch
) -> None:
    """No route dependency is a plain `def` (FastAPI would run it in a thread pool): a thread
    hop per request costs settlements their pace under load (docs/PERFORMANCE.md)."""
    order = await reserved_order(api)

    async def no_threads(*_args: object, **_kwargs: object) -> object:
        raise AssertionError("a route dependency ran in the thread pool")

    monkeypatch.setattr("fastapi.dependencies.utils.run_in_threadpool", no_threads)
    body, headers = signed({"id": "evt_1", "checkout": "co1"})
    response = await api.client.post("/webhooks/fake", content=body, headers=headers)
    assert response.status_code == 200, response.text
    seen = (await api.get(f"/api/v1/orders/{order['id']}")).json()
    assert seen["paid_count"] == 1
