"""A payer in headless Chromium pays on the Stripe page; the order's progress shows the part paid.

Debian's chromium and chromium-driver (never a downloaded browser), driven by selenium.
Stripe.js is localstripe's stand-in (STRIPE_JS_URL). Without the browser the test is
skipped with the reason, except under CI=true, where it fails.
"""

from __future__ import annotations

import asyncio
from pathlib import Path

from selenium.webdriver.common.by import By
from selenium.webdriver.support import expected_conditions
from selenium.webdriver.support.wait import WebDriverWait

from core.domain.model import OrderState, SubOrderState
from gateways.stripe.events import INTENT_SUCCEEDED
from tests.gateways.stripe_world import StripeWorld
from tests.support.browser import chromium, need_chromium

TEST_CARD = "4242424242424242"
WAIT_S = 15


def _pay_in_browser(url: str, profile: Path) -> str:
    """Open the page, type the test card, pay, pass the 3-D Secure dialog; the page's word."""
    browser = chromium(profile)
    try:
        browser.get(url)
        wait = WebDriverWait(browser, WAIT_S)
        number = wait.until(
            expected_conditions.presence_of_element_located(
                (By.CSS_SELECTOR, "#card input[placeholder=number]")
            )
        )
        number.send_keys(TEST_CARD)
        for field, value in (("exp_month", "12"), ("exp_year", "30"), ("cvc", "123")):
            browser.find_element(By.CSS_SELECTOR, f"#card input[placeholder={field}]").send_keys(
                value
            )
        wait.until(expected_conditions.element_to_be_clickable((By.ID, "pay-button"))).click()
        wait.until(
            expected_conditions.element_to_be_clickable(
                (By.XPATH, "//button[text()='Complete authentication']")
            )
        ).click()
        wait.until(lambda b: b.find_element(By.ID, "pay-status").text not in ("", "Paying…"))
        return str(browser.find_element(By.ID, "pay-status").text)
    finally:
        browser.quit()


async def test_a_payer_pays_with_a_test_card_and_the_progress_shows_it(
    stripe_world: StripeWorld, tmp_path: Path
) -> None:
    w = stripe_world
    view = await w.order("100", 2)
    sub = await w.reserve(view, "tg:1")
    assert sub.checkout_ref is not None
    assert sub.checkout_url is not None
    assert await w.admin.await_3ds(sub.checkout_ref) == "requires_action"
    # selenium blocks: it runs in a thread while this loop serves the page and the webhook.
    need_chromium()
    said = await asyncio.to_thread(_pay_in_browser, sub.checkout_url, tmp_path)
    assert said == "Paid. Thank you!"
    delivery = await w.gate.arrival(INTENT_SUCCEEDED, sub.checkout_ref)
    assert delivery.outcomes == ["applied"]
    progress = await w.view(view.order.id)
    assert (progress.order.state, progress.order.paid_count) == (OrderState.OPEN, 1)
    assert progress.order.paid_minor == 5000
    assert [s.state for s in progress.subs] == [SubOrderState.PAID, SubOrderState.AVAILABLE]
