"""A payer enrols a passkey and verifies a payment with it in headless Chromium.

Chromium's virtual authenticator (DevTools WebAuthn domain, through selenium) stands in for
the phone's fingerprint reader: internal transport, user verification on. The listener
serves the real page on http://localhost (a secure context) over SQLite, with py_webauthn
checking every answer against that origin and RP ID.
"""

from __future__ import annotations

import asyncio
import socket
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass
from pathlib import Path

import pytest
from selenium.webdriver.remote.webdriver import WebDriver
from starlette.requests import Request
from starlette.responses import HTMLResponse, Response
from starlette.routing import Route

from core.domain.passkeys import PayerVerified, RelyingParty, relying_party
from core.usecases.engine import Engine
from storage.db import make_engine
from storage.store import SqlStore
from tests.gateways.stripe_rig import Listener
from tests.support.backends import copy_sqlite
from tests.support.browser import need_chromium
from tests.support.harness import Rig, build_rig, request
from tests.support.passkey_browser import (
    fail_user_verification,
    open_browser,
    press_and_read,
)
from tests.support.sealing import sealer_for_tests
from tests.web.conftest import healthy
from web.app import create_app
from web.pages.webauthn_rp import WebAuthnRp

PIN = "204913"
PAYER = "tg:501"


@dataclass
class Page:
    rig: Rig
    engine: Engine
    base: str
    browser: WebDriver


@pytest.fixture
async def page(sqlite_template: Path, tmp_path: Path) -> AsyncIterator[Page]:
    need_chromium()
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    base = f"http://localhost:{sock.getsockname()[1]}"
    rp = relying_party(base)
    assert isinstance(rp, RelyingParty)
    db = make_engine(copy_sqlite(sqlite_template, tmp_path))
    rig = build_rig(SqlStore(db, sealer_for_tests())).swap(passkeys=WebAuthnRp(rp))
    engine = rig.engine
    app = create_app(
        engine,
        public_base_url=base,
        health=healthy,
        max_amount_minor=10_000_000,
        default_currency="USD",
        extra_routes=[Route("/frame/{token}", _framing(base))],
    )
    listener = Listener(app, sock)
    await listener.start()
    browser = await asyncio.to_thread(open_browser, tmp_path / "profile")
    try:
        yield Page(rig, engine, base, browser)
    finally:
        await asyncio.to_thread(browser.quit)
        await listener.stop()
        await db.dispose()


def _framing(base: str) -> Callable[[Request], Awaitable[Response]]:
    """Another site framing the page without the WebAuthn permissions (the way a Telegram
    client that opens Mini Apps in an iframe might): served on 127.0.0.1, a second origin."""

    async def frame(request: Request) -> Response:
        src = f"{base}/verify/{request.path_params['token']}"
        allow = ' allow="publickey-credentials-get"' if "allow" in request.query_params else ""
        return HTMLResponse(f'<!doctype html><iframe id="mini" src="{src}"{allow}></iframe>')

    return frame


async def _press(page: Page, token: str) -> tuple[str, str]:
    return await asyncio.to_thread(press_and_read, page.browser, f"{page.base}/verify/{token}")


async def test_enrol_then_verify_a_payment_and_a_failed_fingerprint_counts(page: Page) -> None:
    engine, rig = page.engine, page.rig
    await engine.set_pin(PAYER, PIN)
    state, text = await _press(page, await engine.open_enrolment(PAYER, PIN))
    assert (state, text.split(".")[0]) == ("done", "Passkey added")
    (key,) = await engine.passkeys_of(PAYER)
    assert key.device_name == "Chrome on Linux"
    assert key.sign_count == 1

    payee = await rig.payee()
    view = await engine.create_order(payee, request("90", 3))
    token = await engine.open_passkey_check(PAYER, view.order.token, [PAYER])
    state, text = await _press(page, token)
    assert (state, text.split(".")[0]) == ("done", "Verified")
    (verified,) = rig.notifier.of(PayerVerified)
    assert isinstance(verified, PayerVerified)
    assert (verified.payer_ref, verified.sub_order_id) == (PAYER, view.subs[0].id)
    assert (verified.order_token, verified.order_id) == (view.order.token, view.order.id)
    (used,) = await engine.passkeys_of(PAYER)
    assert used.sign_count == 2
    assert used.last_used_at is not None

    # The same link again: spent.
    assert await _press(page, token) == (
        "gone",
        "this link has expired or was used; ask the bot for a new one",
    )

    await asyncio.to_thread(fail_user_verification, page.browser)
    state, text = await _press(page, await engine.open_passkey_check(PAYER, view.order.token, []))
    assert state == "error"
    assert text == "Your device did not verify you. 4 tries left before payments lock."
    assert len(rig.notifier.of(PayerVerified)) == 1  # nothing more was verified
    async with rig.store.transaction() as tx:
        auth = await tx.payers.get_payer_auth(PAYER)
    assert auth is not None
    assert auth.failures == 1


async def _failures(rig: Rig) -> int:
    async with rig.store.transaction() as tx:
        auth = await tx.payers.get_payer_auth(PAYER)
    assert auth is not None
    return auth.failures


async def test_browser_errors_that_are_not_a_failed_fingerprint_are_not_counted(
    page: Page,
) -> None:
    """Only the device's "not allowed" (the user was not verified, or cancelled) is a failed
    check; a device enrolled already, or a browser that cannot do WebAuthn here, is not."""
    engine, rig = page.engine, page.rig
    await engine.set_pin(PAYER, PIN)
    state, _ = await _press(page, await engine.open_enrolment(PAYER, PIN))
    assert state == "done"
    state, text = await _press(page, await engine.open_enrolment(PAYER, PIN))
    assert (state, text) == ("error", "This device is enrolled already: use it to pay.")
    assert len(await engine.passkeys_of(PAYER)) == 1

    await asyncio.to_thread(
        page.browser.execute_cdp_cmd,
        "Page.addScriptToEvaluateOnNewDocument",
        {
            "source": "navigator.credentials.get = () => "
            "Promise.reject(new DOMException('not here', 'SecurityError'));"
        },
    )
    view = await engine.create_order(await rig.payee(), request("90", 3))
    state, text = await _press(page, await engine.open_passkey_check(PAYER, view.order.token, []))
    assert (state, text) == (
        "error",
        "This browser cannot verify you here: use the keypad in Telegram.",
    )
    assert await _failures(rig) == 0
    assert rig.notifier.of(PayerVerified) == []


async def test_a_frame_without_the_webauthn_permission_is_not_a_failed_fingerprint(
    page: Page,
) -> None:
    engine, rig = page.engine, page.rig
    await engine.set_pin(PAYER, PIN)
    state, _ = await _press(page, await engine.open_enrolment(PAYER, PIN))
    assert state == "done"
    view = await engine.create_order(await rig.payee(), request("90", 3))
    token = await engine.open_passkey_check(PAYER, view.order.token, [])
    framing = page.base.replace("localhost", "127.0.0.1") + f"/frame/{token}"
    state, text = await asyncio.to_thread(press_and_read, page.browser, framing, "mini")
    assert (state, text) == (
        "error",
        "This page cannot use fingerprint or face inside this window: open it in the browser.",
    )
    assert await _failures(rig) == 0

    # a frame that delegates WebAuthn to the page (allow="publickey-credentials-get") works
    state, text = await asyncio.to_thread(press_and_read, page.browser, framing + "?allow", "mini")
    assert (state, text.split(".")[0]) == ("done", "Verified")
