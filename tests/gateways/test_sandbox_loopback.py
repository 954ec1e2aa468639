"""Over real HTTP: checkout page and webhook receiver on one uvicorn listener, as deployed."""

from __future__ import annotations

import asyncio
import socket
from collections.abc import AsyncIterator
from datetime import UTC, datetime

import httpx
import pytest
import uvicorn
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import PlainTextResponse, Response
from starlette.routing import Route

from core.domain.errors import WebhookRejected
from core.ports.store import GatewayEvent, GatewayEventKind
from gateways.sandbox import SandboxGateway
from tests.gateways.conftest import SECRET, checkout_request, eventually


class Listener:
    """The main app in miniature: sandbox pages, plus a webhook route that verifies and records."""

    def __init__(self, sqlite_db_url: str) -> None:
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self.sock.bind(("127.0.0.1", 0))
        self.base_url = f"http://127.0.0.1:{self.sock.getsockname()[1]}"
        self.gateway = SandboxGateway(
            sqlite_db_url,
            self.base_url,
            f"{self.base_url}/webhooks/sandbox",
            SECRET,
            retry_first_s=0.05,
            poll_s=0.05,
        )
        self.events: list[GatewayEvent] = []
        self.failures_to_give = 1
        self.attempts = 0
        routes = [
            *self.gateway.routes(),
            Route("/webhooks/sandbox", self.webhook, methods=["POST"]),
        ]
        config = uvicorn.Config(
            Starlette(routes=routes), log_level="warning", lifespan="off", ws="none"
        )
        self.server = uvicorn.Server(config)

    async def webhook(self, request: Request) -> Response:
        self.attempts += 1
        body = await request.body()
        try:
            events = self.gateway.parse_webhook(body, request.headers, datetime.now(UTC))
        except WebhookRejected as exc:
            return PlainTextResponse(exc.reason, status_code=exc.status)
        if self.failures_to_give:
            self.failures_to_give -= 1
            return PlainTextResponse("busy", status_code=503)
        self.events.extend(events)
        return PlainTextResponse("ok")


@pytest.fixture
async def listener(sqlite_db_url: str) -> AsyncIterator[Listener]:
    listener = Listener(sqlite_db_url)
    await listener.gateway.start()
    serving = asyncio.create_task(listener.server.serve(sockets=[listener.sock]))
    delivering = asyncio.create_task(listener.gateway.run_delivery())
    await eventually(lambda: listener.server.started)
    try:
        yield listener
    finally:
        await listener.gateway.stop()
        listener.server.should_exit = True
        await serving
        listener.sock.close()
        assert delivering.done()


async def test_a_payer_pays_in_a_browser_and_the_webhook_arrives_once(listener: Listener) -> None:
    gateway = listener.gateway
    checkout = await gateway.create_checkout(checkout_request(amount_minor=4000))
    async with httpx.AsyncClient() as browser:
        page = await browser.get(checkout.url)
        assert page.status_code == 200
        assert "40.00 USD" in page.text
        paid = await browser.post(f"{checkout.url}/pay", follow_redirects=True)
        assert paid.status_code == 200
        assert "Paid" in paid.text
        assert [r.status_code for r in paid.history] == [303]
    await eventually(lambda: len(listener.events) == 1)
    await asyncio.sleep(0.2)  # nothing more comes
    [event] = listener.events
    assert (event.kind, event.checkout_ref, event.amount_minor) == (
        GatewayEventKind.SUCCEEDED,
        checkout.ref,
        4000,
    )
    assert listener.attempts == 2  # the first was answered 503 and retried
