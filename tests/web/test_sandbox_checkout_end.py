"""A browser payer's whole way through the embedded sandbox gateway, page by page: the pay page,
the sandbox's checkout, its way back, then the paid page and the receipt, or trying again."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit

import httpx
import pytest

from core.ports.store import Gateway
from gateways.sandbox import SandboxGateway
from tests.gateways.conftest import PUBLIC_URL, SECRET, WEBHOOK_URL
from tests.support.harness import Rig, build_rig
from tests.web.conftest import bearer, client_for, make_app

BACK = re.compile(r'<a class="back" href="([^"]+)">([^<]+)</a>')


@dataclass
class Browser:
    client: httpx.AsyncClient
    rig: Rig
    key: str

    async def follow(self, response: httpx.Response) -> httpx.Response:
        """Where a 303 leads, as a browser goes (paths only: every page is on this origin)."""
        assert response.status_code == 303, response.text
        return await self.client.get(urlsplit(response.headers["location"]).path)

    async def open_checkout(self, token: str) -> tuple[str, httpx.Response]:
        """Reserve on the pay page; the sandbox checkout's path and page."""
        sent = await self.client.post(f"/pay/{token}", data={"name": "Bob"})
        page = await self.follow(sent)
        return urlsplit(sent.headers["location"]).path, page

    async def press(self, checkout: str, button: str) -> tuple[str, str]:
        """Press Pay or Decline; the way back the outcome page offers: (path, label)."""
        page = await self.follow(await self.client.post(f"{checkout}/{button}"))
        found = BACK.search(page.text)
        assert found is not None, page.text
        return found.group(1), found.group(2)


@pytest.fixture
async def browser(tmp_path: Path) -> AsyncIterator[Browser]:
    """The listener with the real sandbox mounted; its webhooks are never delivered here, so
    only the way back tells Chipin what happened (by asking the sandbox)."""
    sandbox = SandboxGateway(
        f"sqlite+aiosqlite:///{tmp_path / 'sandbox.db'}", PUBLIC_URL, WEBHOOK_URL, SECRET
    )
    gateways: list[Gateway] = [sandbox]
    rig = build_rig(gateways=gateways)
    _, key = await rig.engine.create_api_key("Ann")
    app = make_app(rig, extra_routes=sandbox.routes())
    await sandbox.start()
    try:
        async with client_for(app) as client:
            yield Browser(client, rig, key)
    finally:
        await sandbox.stop()


async def new_order(b: Browser) -> str:
    body = {"total": "100", "payers": 3, "title": "Dinner", "payee_display_name": "Luigi"}
    made = await b.client.post("/api/v1/orders", json=body, headers=bearer(b.key))
    assert made.status_code == 201, made.text
    token: str = made.json()["pay_url"].rsplit("/", 1)[1]
    return token


async def test_pay_at_the_sandbox_then_back_to_a_paid_page_and_the_receipt(
    browser: Browser,
) -> None:
    token = await new_order(browser)
    checkout, page = await browser.open_checkout(token)
    assert "33.34 USD" in page.text
    back, label = await browser.press(checkout, "pay")
    assert label == "Back to the order"
    paid = await browser.follow(await browser.client.get(back))
    assert "Your part is paid." in paid.text
    assert "Collected by <b>Luigi</b>" in paid.text
    link = re.search(r'href="(/pay/[^"]+/receipt/[^"]+)"', paid.text)
    assert link is not None
    receipt = await browser.client.get(link.group(1))
    assert receipt.status_code == 200
    assert "33.34 USD" in receipt.text
    view = await browser.rig.engine.public_order(token)
    assert view.order.paid_count == 1


async def test_decline_at_the_sandbox_then_try_again_with_a_new_checkout(
    browser: Browser,
) -> None:
    token = await new_order(browser)
    checkout, _ = await browser.open_checkout(token)
    back, label = await browser.press(checkout, "decline")
    assert label == "Try again"
    page = await browser.follow(await browser.client.get(back))
    assert "Your part was not paid" in page.text
    assert "<button>Try again</button>" in page.text
    again, _ = await browser.open_checkout(token)
    assert again != checkout
    view = await browser.rig.engine.public_order(token)
    assert [s.state for s in view.subs] == ["reserved", "available", "available"]
