"""End to end: a payer enrols a passkey, then pays with fingerprint / face instead of the keypad.

`chipin run` polls the Bot API emulator, with CHIPIN_PUBLIC_URL on http://localhost (a
secure context, so WebAuthn works without https). The payer's phone is headless Chromium
with a virtual platform authenticator; the page it opens is Chipin's real /verify page.
"""

from __future__ import annotations

import asyncio
import os
import sys
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest
from selenium.webdriver.remote.webdriver import WebDriver

from tests.support.browser import need_chromium
from tests.support.passkey_browser import open_browser, press_and_read
from tests.support.procs import chipin, chipin_env, free_port, spawn, stop, tail, wait_healthy
from tests.telegram_emulator import Emulator, SentMessage, serve

pytestmark = pytest.mark.slow

PIN = "204913"


@dataclass
class Running:
    emu: Emulator
    base: str
    log: Path
    phone: WebDriver


@pytest.fixture
async def running(tmp_path: Path) -> AsyncIterator[Running]:
    need_chromium()
    emu = Emulator()
    async with serve(emu) as served:
        port = free_port()
        base = f"http://localhost:{port}"
        env = chipin_env(
            tmp_path,
            port,
            TELEGRAM_BOT_TOKEN=emu.token,
            TELEGRAM_BASE_URL=served.bot_base_url,
            CHIPIN_PUBLIC_URL=base,
        )
        log = tmp_path / "bot.log"
        await asyncio.to_thread(chipin, env, "migrate")
        proc = await asyncio.to_thread(spawn, env, log)
        phone: WebDriver | None = None
        try:
            await asyncio.to_thread(wait_healthy, f"127.0.0.1:{port}", proc, log)
            phone = await asyncio.to_thread(open_browser, tmp_path / "phone")
            yield Running(emu, base, log, phone)
        finally:
            if phone is not None:
                await asyncio.to_thread(phone.quit)
            await asyncio.to_thread(stop, proc)
            if os.environ.get("CHIPIN_E2E_LOG"):
                sys.stderr.write(await asyncio.to_thread(tail, log, 100_000))


def _has(words: str) -> Callable[[SentMessage], bool]:
    return lambda m: m.body is not None and words in m.body


def _buttons(m: SentMessage) -> list[dict[str, str]]:
    markup = m.reply_markup or {}
    return [b for row in markup.get("inline_keyboard", []) for b in row]


def _url(m: SentMessage) -> str:
    return next(b["url"] for b in _buttons(m) if "url" in b)


async def _press_digits(emu: Emulator, user: int, message: SentMessage, pin: str) -> None:
    for digit in pin:
        await emu.press(user, user, message.message_id, f"k:{digit}")
        await asyncio.sleep(0.15)


async def _on_phone(r: Running, url: str) -> tuple[str, str]:
    assert url.startswith(f"{r.base}/verify/"), url
    return await asyncio.to_thread(press_and_read, r.phone, url)


async def _wait(r: Running, user: int, words: str, after: int) -> SentMessage:
    try:
        return await r.emu.wait_for_message(user, _has(words), after_id=after, timeout_s=15)
    except TimeoutError:
        bodies = [m.body for m in await r.emu.messages(user)]
        raise AssertionError(f"no {words!r} in {bodies}") from None


async def test_a_payer_pays_with_fingerprint_and_gets_the_checkout(running: Running) -> None:
    r, emu = running, running.emu
    await asyncio.sleep(1.0)  # the bot's first getUpdates
    ann = await emu.create_user("Ann", username="ann_payee")
    bob = await emu.create_user("Bob", username="bob_payer")
    group = await emu.create_group("Friends", members=[ann, bob])

    # Bob sets his payment password, then adds his phone's fingerprint.
    pin_cmd = await emu.send_message(bob, text="/pin")
    pad = await _wait(r, bob, "password", pin_cmd["message_id"])
    await _press_digits(emu, bob, pad, PIN)
    await asyncio.sleep(0.3)
    await _press_digits(emu, bob, pad, PIN)
    offer = await _wait(r, bob, "fingerprint or face", pad.message_id)
    await emu.press(bob, bob, offer.message_id, "pka")
    pad = await _wait(r, bob, "to add fingerprint / face", offer.message_id)
    await _press_digits(emu, bob, pad, PIN)
    enrol = await _wait(r, bob, "Password checked", pad.message_id)
    state, said = await _on_phone(r, _url(enrol))
    assert (state, said.split(".")[0]) == ("done", "Passkey added")

    # Ann splits a bill; Bob opens it and confirms with his fingerprint instead of the keypad.
    await emu.send_message(ann, group, "/split 100 2 Dinner")
    progress = await emu.wait_for_message(group, _has("Paid 0/2"), timeout_s=10)
    token = next(b["url"] for b in _buttons(progress) if "url" in b).split("start=", 1)[1]
    start = await emu.send_message(bob, text=f"/start {token}")
    card = await _wait(r, bob, "Your part", start["message_id"])
    await emu.press(bob, bob, card.message_id, f"pay:{token}")
    choice = await _wait(r, bob, "Or confirm with your fingerprint or face", card.message_id)
    await emu.press(bob, bob, choice.message_id, f"pkp:{token}")
    page = await _wait(r, bob, "Open the page", choice.message_id)
    link = _url(page)
    state, said = await _on_phone(r, link)
    assert (state, said.split(".")[0]) == ("done", "Verified")

    await _wait(r, bob, "Verified with fingerprint / face", page.message_id)
    held = await emu.wait_for_message(
        bob, lambda m: "/sandbox/checkout/" in str(m.reply_markup), after_id=page.message_id
    )
    checkout = _url(held)
    assert checkout.startswith(f"{r.base}/sandbox/checkout/")
    async with httpx.AsyncClient() as client:
        local = checkout.replace(r.base, "http://127.0.0.1:" + r.base.rsplit(":", 1)[1])
        paid = await client.post(local + "/pay", follow_redirects=True)
    assert paid.status_code == 200
    await emu.wait_for_message(group, _has("Paid 1/2"), timeout_s=20)
    logged = await asyncio.to_thread(tail, r.log, 10**7)
    assert link.rsplit("/", 1)[1] not in logged  # the one-time token is never logged
    assert emu.token not in logged
