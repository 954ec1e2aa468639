"""End to end: `chipin run` against the Bot API emulator takes Telegram Stars through invoices.

CHIPIN_GATEWAYS=sandbox,telegram and CHIPIN_CURRENCY=XTR: Bob picks Telegram Stars and pays
the invoice in his private chat, Cid picks the sandbox; the group's progress shows both; a
forwarded copy of Bob's invoice, paid by Dan once the order is full, is refused at the
pre-checkout and takes no Stars.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable
from pathlib import Path

import httpx
import pytest

from tests.e2e.bot_run import bot_running
from tests.support.procs import tail
from tests.telegram_emulator import Emulator, SentMessage

pytestmark = pytest.mark.slow  # about 30 s: two payers, the keypad, a real process

PIN = "204913"


@pytest.fixture
async def running(tmp_path: Path) -> AsyncIterator[tuple[Emulator, str, Path]]:
    """The emulator in this process, `chipin run` polling it from another process."""
    async with bot_running(
        tmp_path, CHIPIN_GATEWAYS="sandbox,telegram", CHIPIN_CURRENCY="XTR"
    ) as run:
        yield run.emu, run.base, run.log


def _has(words: str) -> Callable[[SentMessage], bool]:
    return lambda m: m.body is not None and words in m.body


async def _verify(emu: Emulator, user: int, token: str) -> SentMessage:
    """Open the link, press Pay, set the payment password: the choice of payment method."""
    start = await emu.send_message(user, text=f"/start {token}")
    card = await emu.wait_for_message(user, _has("Your part"), after_id=start["message_id"])
    await emu.press(user, user, card.message_id, f"pay:{token}")
    pad = await emu.wait_for_message(user, _has("password"), after_id=card.message_id)
    for _ in range(2):  # set, then repeat
        for digit in PIN:
            await emu.press(user, user, pad.message_id, f"k:{digit}")
            await asyncio.sleep(0.1)
        await asyncio.sleep(0.3)
    try:
        return await emu.wait_for_message(
            user,
            lambda m: any(d.startswith("gw:") for d in m.callback_data()),
            after_id=pad.message_id,
        )
    except TimeoutError:
        seen = [(m.body, m.edit_count) for m in await emu.messages(user)]
        raise AssertionError(seen) from None


async def test_a_payer_pays_in_telegram_stars_and_a_late_copy_is_refused(
    running: tuple[Emulator, str, Path],
) -> None:
    emu, base, log = running
    ann = await emu.create_user("Ann", username="ann_payee")
    bob, cid, dan = [
        await emu.create_user(n, username=f"{n.lower()}_payer") for n in ["Bob", "Cid", "Dan"]
    ]
    group = await emu.create_group("Movie night", members=[ann, bob, cid, dan])

    await emu.send_message(ann, group, "/split 50 2 Popcorn")
    progress = await emu.wait_for_message(group, _has("Paid 0/2"), timeout_s=10)
    link = next(
        b["url"]
        for row in (progress.reply_markup or {})["inline_keyboard"]
        for b in row
        if "url" in b
    )
    token = link.split("start=", 1)[1]

    choice = await _verify(emu, bob, token)
    assert choice.callback_data() == [f"gw:sandbox:{token}", f"gw:telegram:{token}"]
    await emu.press(bob, bob, choice.message_id, f"gw:telegram:{token}")
    invoice = await emu.wait_for_message(
        bob, lambda m: m.kind == "invoice", after_id=choice.message_id
    )
    record = emu.world.records[(bob, invoice.message_id)]
    assert record.media["invoice"]["currency"] == "XTR"
    assert record.media["invoice"]["total_amount"] == 25
    assert emu.world.payments.invoices[(bob, invoice.message_id)].provider_token == ""

    paid = await emu.pay_invoice(bob, bob, invoice.message_id)

    assert paid["ok"] is True, paid
    await emu.wait_for_message(
        bob, _has("Payment received"), after_id=invoice.message_id, timeout_s=10
    )
    await emu.wait_for_message(
        group,
        lambda m: m.message_id == progress.message_id and "Paid 1/2" in (m.body or ""),
        timeout_s=10,
    )

    choice = await _verify(emu, cid, token)
    await emu.press(cid, cid, choice.message_id, f"gw:sandbox:{token}")
    held = await emu.wait_for_message(
        cid, lambda m: "url" in str(m.reply_markup), after_id=choice.message_id
    )
    url = held.reply_markup["inline_keyboard"][0][0]["url"]  # type: ignore[index]
    assert url.startswith(base + "/sandbox/checkout/")
    async with httpx.AsyncClient() as client:
        assert (await client.post(url + "/pay", follow_redirects=True)).status_code == 200
    await emu.wait_for_message(
        group,
        lambda m: m.message_id == progress.message_id and "Paid 2/2" in (m.body or ""),
        timeout_s=15,
    )

    # The order is full: a forwarded copy of Bob's invoice, paid by Dan, is refused.
    copy = await emu.forward(bob, bob, invoice.message_id, group)
    late = await emu.pay_invoice(dan, group, copy)

    assert late["ok"] is False
    assert "Every part of Popcorn is paid" in (late["error_message"] or "")
    assert len(emu.world.payments.charges) == 1
    assert await emu.refunds() == []
    text = await asyncio.to_thread(tail, log, 10**7)
    assert emu.token not in text
    charge = str(paid["charge_id"])
    assert not any(charge in line and str(bob) in line for line in text.splitlines())
