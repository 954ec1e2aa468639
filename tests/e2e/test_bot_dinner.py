"""End to end: `chipin run` against the Bot API emulator plays a whole dinner in a group."""

from __future__ import annotations

import asyncio
import io
import os
import subprocess
import sys
from collections.abc import AsyncIterator, Callable
from pathlib import Path

import httpx
import pytest
import zxingcpp
from PIL import Image

from tests.support.procs import chipin, chipin_env, free_port, spawn, stop, tail, wait_healthy
from tests.telegram_emulator import Emulator, SentMessage, serve

pytestmark = pytest.mark.slow

PIN = "204913"


@pytest.fixture
async def running(tmp_path: Path) -> AsyncIterator[tuple[Emulator, str]]:
    """The emulator in this process, `chipin run` polling it from another process."""
    emu = Emulator()
    async with serve(emu) as served:
        port = free_port()
        env = chipin_env(
            tmp_path, port, TELEGRAM_BOT_TOKEN=emu.token, TELEGRAM_BASE_URL=served.bot_base_url
        )
        log = tmp_path / "bot.log"
        await asyncio.to_thread(chipin, env, "migrate")
        proc = await asyncio.to_thread(spawn, env, log)
        try:
            await _wait_healthy(port, proc, log)
            yield emu, f"http://127.0.0.1:{port}"
        finally:
            await asyncio.to_thread(stop, proc)
            if os.environ.get("CHIPIN_E2E_LOG"):
                sys.stderr.write(await asyncio.to_thread(tail, log, 100_000))
        assert emu.token not in await asyncio.to_thread(tail, log, 10**7)  # never logged


async def _wait_healthy(port: int, proc: subprocess.Popen[bytes], log: Path) -> None:
    await asyncio.to_thread(wait_healthy, f"127.0.0.1:{port}", proc, log)
    await asyncio.sleep(1.0)  # the bot's first getUpdates


def _has(words: str) -> Callable[[SentMessage], bool]:
    return lambda m: m.body is not None and words in m.body


async def _press_digits(emu: Emulator, user: int, message: SentMessage, pin: str) -> None:
    for digit in pin:
        await emu.press(user, user, message.message_id, f"k:{digit}")
        await asyncio.sleep(0.15)  # a quick thumb; people take longer


async def _pay(emu: Emulator, base: str, user: int, token: str, *, first_time: bool) -> None:
    start = await emu.send_message(user, text=f"/start {token}")
    card = await emu.wait_for_message(user, _has("Your part"), after_id=start["message_id"])
    await emu.press(user, user, card.message_id, f"pay:{token}")
    pad = await emu.wait_for_message(user, _has("password"), after_id=card.message_id)
    await _press_digits(emu, user, pad, PIN)
    if first_time:
        await asyncio.sleep(0.3)
        await _press_digits(emu, user, pad, PIN)
    held = await emu.wait_for_message(
        user,
        lambda m: bool(m.reply_markup) and "url" in str(m.reply_markup),
        after_id=pad.message_id,
    )
    url = held.reply_markup["inline_keyboard"][0][0]["url"]  # type: ignore[index]
    assert url.startswith(base + "/sandbox/checkout/")
    async with httpx.AsyncClient() as client:
        paid = await client.post(url + "/pay", follow_redirects=True)
    assert paid.status_code == 200


async def test_a_dinner_for_three(running: tuple[Emulator, str]) -> None:
    emu, base = running
    ann = await emu.create_user("Ann", username="ann_payee")
    payers = [
        await emu.create_user(n, username=f"{n.lower()}_payer") for n in ("Bob", "Cid", "Dan")
    ]
    eve = await emu.create_user("Eve", username="eve_payer")
    fay = await emu.create_user("Fay", username="fay_payer")
    group = await emu.create_group("Friends", members=[ann, *payers, eve, fay])

    await emu.send_message(ann, group, "/split 100 3 Dinner at Luigi's")
    photo = await emu.wait_for_message(group, lambda m: m.kind == "photo", timeout_s=10)
    progress = await emu.wait_for_message(group, _has("Paid 0/3"), after_id=photo.message_id)
    assert photo.file_id
    png = await emu.file_bytes(photo.file_id)
    (code,) = zxingcpp.read_barcodes(Image.open(io.BytesIO(png)))
    assert code.text.startswith("https://t.me/")
    token = code.text.split("start=", 1)[1]

    # Eve sets a payment password with /pin, then types a wrong one five times: locked out.
    pin_cmd = await emu.send_message(eve, text="/pin")
    pad = await emu.wait_for_message(eve, _has("password"), after_id=pin_cmd["message_id"])
    await _press_digits(emu, eve, pad, PIN)
    await asyncio.sleep(0.3)
    await _press_digits(emu, eve, pad, PIN)
    try:
        await emu.wait_for_message(eve, _has("is set"), after_id=pin_cmd["message_id"])
    except TimeoutError:
        raise AssertionError([(m.body, m.edit_count) for m in await emu.messages(eve)]) from None
    start = await emu.send_message(eve, text=f"/start {token}")
    card = await emu.wait_for_message(eve, _has("Your part"), after_id=start["message_id"])
    await emu.press(eve, eve, card.message_id, f"pay:{token}")
    pad = await emu.wait_for_message(eve, _has("Enter your payment"), after_id=card.message_id)
    for _ in range(5):
        await _press_digits(emu, eve, pad, "739155")
        await asyncio.sleep(0.4)
    try:
        locked = await emu.wait_for_message(
            eve, _has("locked"), after_id=card.message_id - 1, timeout_s=15
        )
    except TimeoutError:
        raise AssertionError([(m.body, m.edit_count) for m in await emu.messages(eve)]) from None
    assert "15 min" in (locked.body or "")

    for payer in payers:
        await _pay(emu, base, payer, token, first_time=True)

    try:
        done = await emu.wait_for_message(group, _has("Paid 3/3"), timeout_s=20)
    except TimeoutError:
        raise AssertionError([(m.body, m.edit_count) for m in await emu.messages(group)]) from None
    assert done.message_id == progress.message_id
    await emu.wait_for_message(
        group, _has("Dinner at Luigi"), after_id=progress.message_id, timeout_s=15
    )

    late = await emu.send_message(fay, text=f"/start {token}")
    refused = await emu.wait_for_message(fay, _has("is complete"), after_id=late["message_id"])
    assert "Pay" not in str(refused.reply_markup)
    assert await emu.count_429(group) == 0, [await emu.count_429(c) for c in (eve, *payers)]
