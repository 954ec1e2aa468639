"""Log lines name orders and payments, never a Telegram user's id or name."""

from __future__ import annotations

import logging

import pytest

from tests.support.offline_api import BOB
from tests.support.ptb import GROUP, BotRig


async def test_a_receipt_that_cannot_be_delivered_logs_no_telegram_id(
    bot: BotRig, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG, logger="bot")
    posted = await bot.post("/split 20 2 Taxi")
    held = await bot.reserve(BOB, posted.token)
    bot.api.never_started.add(BOB.id)
    await bot.pay_checkout(held)
    assert "Bob, I can't message you privately" in bot.api.last(GROUP).text
    lines = [r.getMessage() for r in caplog.records if r.name.startswith("bot.")]
    assert lines  # the undelivered message was logged
    assert not [line for line in lines if str(BOB.id) in line or "bob_lee" in line], lines
