"""End to end: print static codes, bind one in the bot, two payers pay it different amounts in
two payment modes, and the payee's /codes shows the total.

`chipin codes print` asks the Bot API emulator for the bot's username; `chipin run` polls it
with CHIPIN_GATEWAYS=sandbox,telegram and CHIPIN_CURRENCY=XTR, so Bob can pick Telegram
Stars (an invoice) and Cid the sandbox (a checkout page).
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable
from pathlib import Path

import httpx
import pytest

from tests.bot.test_codes_sheet import decoded, pdf_pages
from tests.e2e.bot_run import bot_running
from tests.support.procs import chipin
from tests.telegram_emulator import Emulator, SentMessage

pytestmark = pytest.mark.slow

PIN = "204913"


@pytest.fixture
async def running(tmp_path: Path) -> AsyncIterator[tuple[Emulator, str, dict[str, str]]]:
    async with bot_running(
        tmp_path, CHIPIN_GATEWAYS="sandbox,telegram", CHIPIN_CURRENCY="XTR"
    ) as run:
        yield run.emu, run.base, run.env


def _has(words: str) -> Callable[[SentMessage], bool]:
    return lambda m: m.body is not None and words in m.body


def _button(prefix: str) -> Callable[[SentMessage], bool]:
    return lambda m: any(d.startswith(prefix) for d in m.callback_data())


async def _wait(
    emu: Emulator, user: int, pred: Callable[[SentMessage], bool], after: int
) -> SentMessage:
    try:
        return await emu.wait_for_message(user, pred, after_id=after, timeout_s=15)
    except TimeoutError:
        raise AssertionError(
            [(m.body, m.callback_data()) for m in await emu.messages(user)]
        ) from None


async def _password(emu: Emulator, user: int, after: int) -> SentMessage:
    """Set the payment password on the keypad (typed twice)."""
    pad = await _wait(emu, user, _button("k:"), after)
    for _ in range(2):
        for digit in PIN:
            await emu.press(user, user, pad.message_id, f"k:{digit}")
            await asyncio.sleep(0.1)
        await asyncio.sleep(0.3)
    return pad


async def test_print_bind_and_two_payers_pay_a_tip_jar(
    running: tuple[Emulator, str, dict[str, str]], tmp_path: Path
) -> None:
    emu, base, env = running
    out = tmp_path / "codes.pdf"
    await asyncio.to_thread(chipin, env, "codes", "print", "--count", "4", "--out", str(out))
    links = decoded(pdf_pages(out.read_bytes()))
    assert len(links) == 4
    info = await emu.bot_info()
    assert all(link.startswith(f"https://t.me/{info['username']}?start=s_") for link in links)
    payload = links[0].split("start=", 1)[1]

    ann = await emu.create_user("Ann", username="ann_payee")
    bob = await emu.create_user("Bob", username="bob_payer")
    cid = await emu.create_user("Cid", username="cid_payer")

    # Ann scans the sticker: it is not active yet; she binds it as a tip jar.
    start = await emu.send_message(ann, text=f"/start {payload}")
    offer = await _wait(emu, ann, _has("not active yet"), start["message_id"])
    await emu.press(ann, ann, offer.message_id, offer.callback_data()[0])
    kinds = await _wait(emu, ann, _button("ck:"), offer.message_id)
    await emu.press(ann, ann, kinds.message_id, "ck:tip")
    asked = await _wait(emu, ann, _has("What is it for?"), kinds.message_id)
    await emu.send_message(ann, text="Tips for the band")
    name = await _wait(emu, ann, _has("Which name"), asked.message_id)
    await emu.press(ann, ann, name.message_id, "cn:")
    pad = await _password(emu, ann, name.message_id)
    await _wait(emu, ann, _has("now collects Tips for the band"), pad.message_id - 1)

    # Bob types 30 on the amount keypad and pays in Telegram Stars.
    start = await emu.send_message(bob, text=f"/start {payload}")
    amount_pad = await _wait(emu, bob, _button("am:"), start["message_id"])
    assert "<b>Ann</b> collects" in ((await emu.messages(bob))[-2].body or "")
    for key in ("3", "0", "ok"):
        await emu.press(bob, bob, amount_pad.message_id, f"am:{key}")
        await asyncio.sleep(0.1)
    pad = await _password(emu, bob, amount_pad.message_id)
    choice = await _wait(emu, bob, _button("gw:"), pad.message_id)
    stars = next(d for d in choice.callback_data() if d.startswith("gw:telegram:"))
    await emu.press(bob, bob, choice.message_id, stars)
    invoice = await _wait(emu, bob, lambda m: m.kind == "invoice", choice.message_id)
    assert emu.world.records[(bob, invoice.message_id)].media["invoice"]["total_amount"] == 30
    paid = await emu.pay_invoice(bob, bob, invoice.message_id)
    assert paid["ok"] is True, paid

    # Cid types 12 as text and pays through the sandbox.
    start = await emu.send_message(cid, text=f"/start {payload}")
    amount_pad = await _wait(emu, cid, _button("am:"), start["message_id"])
    await emu.send_message(cid, text="12")
    pad = await _password(emu, cid, amount_pad.message_id)
    choice = await _wait(emu, cid, _button("gw:"), pad.message_id)
    sandbox = next(d for d in choice.callback_data() if d.startswith("gw:sandbox:"))
    await emu.press(cid, cid, choice.message_id, sandbox)
    held = await _wait(emu, cid, lambda m: "url" in str(m.reply_markup), choice.message_id)
    url = held.reply_markup["inline_keyboard"][0][0]["url"]  # type: ignore[index]
    assert url.startswith(base + "/sandbox/checkout/")
    async with httpx.AsyncClient() as client:
        assert (await client.post(url + "/pay", follow_redirects=True)).status_code == 200

    await _wait(emu, ann, _has("12 XTR"), start["message_id"] - 50)
    codes = await emu.send_message(ann, text="/codes")
    listing = await _wait(emu, ann, _has("in all"), codes["message_id"])
    assert "Today 42 XTR · this month 42 XTR · in all 42 XTR" in (listing.body or "")
    lines = (listing.body or "").splitlines()
    assert any("30 XTR — Bob — Telegram Stars" in line for line in lines), lines
    assert any("12 XTR — Cid — Sandbox (test money)" in line for line in lines), lines
