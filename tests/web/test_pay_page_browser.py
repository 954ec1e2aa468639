"""A payer without Telegram pays their part by SEPA transfer in headless Chromium: choose the
payee's method, see the transfer page (its QR code loads under the page's CSP), say "I've paid".

Debian's chromium and chromium-driver (tests/support/browser.py): without them the test is
skipped with the reason, except under CI=true, where it fails.
"""

from __future__ import annotations

import asyncio
import socket
from dataclasses import dataclass
from pathlib import Path

from selenium.webdriver.common.by import By
from selenium.webdriver.support.select import Select
from selenium.webdriver.support.wait import WebDriverWait

from tests.gateways.stripe_rig import Listener
from tests.support.browser import chromium, need_chromium
from tests.support.harness import build_rig, request
from tests.web.conftest import MAX_AMOUNT_MINOR, healthy
from web.app import create_app
from web.pages.transfer import CLAIMED, QR_ALT

IBAN = "DE89370400440532013000"
WAIT_S = 15


@dataclass
class Seen:
    """What the payer saw: the transfer page's heading and text, whether its QR code drew,
    then the text of the page "I've paid" led to."""

    heading: str
    text: str
    qr_drawn: bool
    after_claim: str


def _pay_by_transfer(url: str, profile: Path) -> Seen:
    browser = chromium(profile)
    try:
        browser.get(url)
        wait = WebDriverWait(browser, WAIT_S)
        browser.find_element(By.NAME, "name").send_keys("Bob")
        Select(browser.find_element(By.NAME, "gateway")).select_by_visible_text(
            "Bank transfer (SEPA)"
        )
        browser.find_element(By.TAG_NAME, "button").click()
        wait.until(lambda b: b.find_elements(By.TAG_NAME, "h2"))
        qr = browser.find_element(By.CSS_SELECTOR, f'img[alt="{QR_ALT}"]')
        wait.until(lambda b: b.execute_script("return arguments[0].complete", qr))
        seen = Seen(
            heading=browser.find_element(By.TAG_NAME, "h2").text,
            text=browser.find_element(By.TAG_NAME, "body").text,
            qr_drawn=bool(browser.execute_script("return arguments[0].naturalWidth > 0", qr)),
            after_claim="",
        )
        browser.find_element(By.XPATH, '//button[text()="I\'ve paid"]').click()
        wait.until(lambda b: b.find_elements(By.CSS_SELECTOR, "[role=status]"))
        seen.after_claim = browser.find_element(By.TAG_NAME, "body").text
        return seen
    finally:
        browser.quit()


async def test_a_payer_chooses_sepa_sees_the_qr_code_and_says_they_paid(tmp_path: Path) -> None:
    need_chromium()
    rig = build_rig()
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    base = f"http://127.0.0.1:{sock.getsockname()[1]}"
    app = create_app(
        rig.engine,
        public_base_url=base,
        health=healthy,
        max_amount_minor=MAX_AMOUNT_MINOR,
        default_currency="USD",
    )
    payee = await rig.payee()
    await rig.engine.add_method(payee, "sepa", {"holder": "Ann Example", "iban": IBAN})
    view = await rig.engine.create_order(payee, request("90", 3, cur="EUR"))
    listener = Listener(app, sock)
    await listener.start()
    try:
        # selenium blocks: it runs in a thread while this loop serves the page
        seen = await asyncio.to_thread(_pay_by_transfer, f"{base}/pay/{view.order.token}", tmp_path)
    finally:
        await listener.stop()
    assert seen.heading == "Pay by bank transfer (SEPA)"
    assert "DE89 3704 0044 0532 0130 00" in seen.text
    assert "30.00 EUR" in seen.text
    assert seen.qr_drawn  # the image loaded: the page's CSP lets its own QR code in
    assert CLAIMED in seen.after_claim
    async with rig.store.transaction() as tx:
        states = [s.state.value for s in await tx.sub_orders.get_sub_orders(view.order.id)]
    assert states == ["claimed", "available", "available"]
