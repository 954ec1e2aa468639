"""Announcements and private messages are sent again after a passing Telegram error; a
timeout (the message may have arrived) or a refusal is not resent."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from pathlib import Path

import pytest
from telegram.error import BadRequest, Forbidden, NetworkError, RetryAfter, TimedOut

from bot.chat import resend as tg_resend
from tests.support.ptb import GROUP, BotRig, Fault, Posted, running_bot


@pytest.fixture(autouse=True)
def quick_resends(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(tg_resend, "RESEND_DELAYS_S", (0.05, 0.05, 0.05))


async def _pay_all(bot: BotRig, posted: Posted, n: int) -> None:
    for who in range(2001, 2001 + n):
        res = await bot.rig.engine.reserve(
            posted.token, f"tg:{who}", payer_name=f"P{who}", source=f"tg:{who}"
        )
        assert res.sub.checkout_ref is not None
        await bot.rig.engine.apply_event(bot.rig.gateway.pay(res.sub.checkout_ref))
    await bot.flush()


def _announcements(bot: BotRig) -> list[str]:
    return [c.text for c in bot.api.sent(GROUP, "sendMessage") if "collected" in c.text]


async def _until(check: Callable[[], bool], seconds: float = 3.0) -> None:
    end = asyncio.get_running_loop().time() + seconds
    while not check():
        assert asyncio.get_running_loop().time() < end, "not in time"
        await asyncio.sleep(0.02)


@pytest.mark.parametrize(
    ("status", "description"),
    [(500, "Internal Server Error"), (502, "Bad Gateway")],
)
async def test_a_completion_announcement_refused_by_a_server_error_is_sent_again(
    tmp_path: Path, status: int, description: str
) -> None:
    async with running_bot(tmp_path) as bot:
        posted = await bot.post("/split 20 2 Taxi")
        for _ in range(2):  # the first send and the first resend fail
            bot.api.faults.append(Fault("sendMessage", status, description, chat_id=GROUP))
        await _pay_all(bot, posted, 2)

        await _until(lambda: len(_announcements(bot)) == 1)
        await asyncio.sleep(0.2)  # and only once
        assert len(_announcements(bot)) == 1
        assert "all 2 payers paid" in _announcements(bot)[0]


async def test_a_completion_announcement_is_not_resent_after_a_bad_request(
    tmp_path: Path,
) -> None:
    async with running_bot(tmp_path) as bot:
        posted = await bot.post("/split 20 2 Taxi")
        bot.api.faults.append(
            Fault("sendMessage", 400, "Bad Request: chat not found", chat_id=GROUP)
        )
        await _pay_all(bot, posted, 2)
        await asyncio.sleep(0.3)
        assert _announcements(bot) == []


def test_only_errors_after_which_telegram_surely_did_not_post_are_resent() -> None:
    assert tg_resend.may_resend(NetworkError("Bad Gateway"))
    assert tg_resend.may_resend(RetryAfter(3))
    assert not tg_resend.may_resend(TimedOut())  # it may have arrived: no double message
    assert not tg_resend.may_resend(BadRequest("chat not found"))
    assert not tg_resend.may_resend(Forbidden("bot was blocked by the user"))
