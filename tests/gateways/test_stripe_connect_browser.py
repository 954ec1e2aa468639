"""A payee in headless Chromium signs up on Stripe's hosted onboarding (the Connect layer's
stand-in page) and comes back to Chipin's return page; then a payer's pay page says where the
money goes and the fee, before the card form.

Debian's chromium and chromium-driver, driven by selenium; without the browser the test is
skipped with the reason, except under CI=true, where it fails.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from selenium.webdriver.common.by import By
from selenium.webdriver.support import expected_conditions
from selenium.webdriver.support.wait import WebDriverWait

from core.domain.payouts import PayoutState
from tests.gateways.stripe_rig import Localstripe
from tests.gateways.stripe_world import StripeWorld, open_stripe_world
from tests.support.browser import chromium, need_chromium

WAIT_S = 15


@pytest.fixture
async def w(localstripe: Localstripe) -> AsyncIterator[StripeWorld]:
    async with open_stripe_world(localstripe, connect=True, fee_bps=250) as found:
        yield found


def _sign_up(url: str, profile: Path) -> tuple[str, str]:
    """Open Stripe's link, agree and submit; where the browser ended and what it says."""
    browser = chromium(profile)
    try:
        browser.get(url)
        wait = WebDriverWait(browser, WAIT_S)
        wait.until(expected_conditions.element_to_be_clickable((By.ID, "agree"))).click()
        wait.until(lambda b: "/payouts/stripe/return/" in b.current_url)
        wait.until(lambda b: "Done" in b.find_element(By.TAG_NAME, "body").text)
        return str(browser.current_url), str(browser.find_element(By.TAG_NAME, "body").text)
    finally:
        browser.quit()


def _read_pay_page(url: str, profile: Path) -> str:
    browser = chromium(profile)
    try:
        browser.get(url)
        WebDriverWait(browser, WAIT_S).until(
            expected_conditions.presence_of_element_located((By.ID, "card"))
        )
        return str(browser.find_element(By.TAG_NAME, "body").text)
    finally:
        browser.quit()


async def test_a_payee_signs_up_in_the_browser_and_payers_see_where_the_money_goes(
    w: StripeWorld, tmp_path: Path
) -> None:
    need_chromium()
    onboarding = await w.engine.connect_payouts(w.payee, "DE")
    # selenium blocks: it runs in a thread while this loop serves Chipin's pages
    landed, said = await asyncio.to_thread(_sign_up, onboarding.url, tmp_path / "payee")
    assert landed.startswith(f"{w.listener.base_url}/payouts/stripe/return/")
    assert "card payments now go straight into your Stripe account" in said
    assert onboarding.account.account_id not in said
    account = await w.engine.payout_account(w.payee)
    assert account is not None
    assert account.state == PayoutState.ENABLED  # the return page looked it up at once
    view = await w.order("50", 1)
    sub = await w.reserve(view, "tg:1")
    assert sub.checkout_url is not None
    page = await asyncio.to_thread(_read_pay_page, sub.checkout_url, tmp_path / "payer")
    assert "straight to the payee's own Stripe account" in page
    assert "1.25 USD is the platform's fee" in page
