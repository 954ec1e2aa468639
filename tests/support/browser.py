"""Headless Debian Chromium for the browser tests: the system chromium and chromedriver only
(never a download). Without them a test skips with the reason, except under CI=true, where
it fails. Selenium blocks: call these through asyncio.to_thread while the test's loop
serves the page.
"""

from __future__ import annotations

from pathlib import Path

from selenium import webdriver
from selenium.webdriver.chrome.service import Service
from selenium.webdriver.remote.webdriver import WebDriver

from tests.support.backends import missing_here

CHROMIUM = Path("/usr/bin/chromium")
CHROMEDRIVER = Path("/usr/bin/chromedriver")


def need_chromium() -> None:
    """Skip (or, under CI=true, fail) when Debian's chromium or its driver is missing."""
    missing = [str(p) for p in (CHROMIUM, CHROMEDRIVER) if not p.exists()]
    if missing:
        reason = f"{', '.join(missing)} missing: apt-get install -y chromium chromium-driver"
        missing_here(reason)


def chromium(profile: Path) -> WebDriver:
    """A headless Chromium with its own profile directory."""
    options = webdriver.ChromeOptions()
    options.binary_location = str(CHROMIUM)
    for flag in (
        "--headless=new",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-dev-shm-usage",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        "--no-first-run",
        f"--user-data-dir={profile}",
    ):
        options.add_argument(flag)
    # The system chromedriver, named explicitly: selenium-manager never downloads one.
    return webdriver.Chrome(options=options, service=Service(str(CHROMEDRIVER)))
