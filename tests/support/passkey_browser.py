"""Headless Debian Chromium (tests/support/browser.py) with a virtual platform authenticator,
driving the passkey page. Selenium blocks: call these functions through asyncio.to_thread while the
test's loop serves the page.
"""

from __future__ import annotations

from pathlib import Path

from selenium.webdriver.common.by import By
from selenium.webdriver.common.virtual_authenticator import (
    Protocol,
    Transport,
    VirtualAuthenticatorOptions,
)
from selenium.webdriver.remote.webdriver import WebDriver
from selenium.webdriver.support.wait import WebDriverWait

from tests.support.browser import chromium

WAIT_S = 15


def open_browser(profile: Path) -> WebDriver:
    """Chromium with one virtual platform authenticator (internal transport, user
    verification on and passing) that stays for the whole session."""
    driver = chromium(profile)
    try:
        driver.add_virtual_authenticator(
            VirtualAuthenticatorOptions(
                protocol=Protocol.CTAP2,
                transport=Transport.INTERNAL,
                has_resident_key=True,
                has_user_verification=True,
                is_user_verified=True,
            )
        )
    except BaseException:
        driver.quit()
        raise
    return driver


def fail_user_verification(driver: WebDriver) -> None:
    """From now on the authenticator's fingerprint check fails."""
    driver.set_user_verified(False)


def press_and_read(driver: WebDriver, url: str, frame: str | None = None) -> tuple[str, str]:
    """Open the page, press its button, wait for the outcome: (state, text) of #status;
    ("gone", the page's text) when the page has no button (the link is spent or expired).
    With `frame`, `url` frames the page in the iframe of that id."""
    driver.get(url)
    if frame is not None:
        driver.switch_to.frame(frame)
    wait = WebDriverWait(driver, WAIT_S)
    if not driver.find_elements(By.ID, "go"):
        return "gone", str(driver.find_element(By.TAG_NAME, "body").text)
    wait.until(lambda b: b.find_element(By.ID, "go").is_enabled())
    driver.find_element(By.ID, "go").click()
    wait.until(
        lambda b: b.find_element(By.ID, "status").get_attribute("data-state") in ("done", "error")
    )
    status = driver.find_element(By.ID, "status")
    return str(status.get_attribute("data-state")), str(status.text)
