"""The bot when the database is down: a payer at any step is told to try again, and can."""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import pytest
from sqlalchemy.exc import OperationalError
from telegram.ext import ContextTypes

from bot.chat.application import set_commands
from core.ports.store import Store, Tx
from tests.support.fakes.store import InMemoryStore
from tests.support.harness import Rig, build_rig
from tests.support.offline_api import OfflineBotApi
from tests.support.ptb import BOB, PIN, BotRig, Call, OfflineBot, Posted, assembled

TRY_AGAIN = "please try again"


class FlakyStore:
    """A store whose database can go away: every transaction then fails to connect."""

    def __init__(self, inner: Store) -> None:
        self.inner = inner
        self.down = False

    def transaction(self) -> AbstractAsyncContextManager[Tx]:
        if self.down:
            refused = ConnectionRefusedError(111, "Connection refused")
            raise OperationalError("BEGIN", None, refused)
        return self.inner.transaction()


@asynccontextmanager
async def telegram_like_bot(data_dir: Path, rig: Rig) -> AsyncIterator[BotRig]:
    """`running_bot` whose errors are the test's to check. The emulator refuses a second
    answer to one button press as Telegram does (only the first answer reaches the user)."""
    rig.clock.at = datetime.now(UTC)
    api = OfflineBotApi()
    app = assembled(data_dir, rig, OfflineBot.over(data_dir, api), edit_interval_s=0.0)
    bot = BotRig(rig, api, app, _events_seen=len(rig.notifier.events))

    async def record(update: object, context: ContextTypes.DEFAULT_TYPE) -> None:
        if context.error is not None:
            bot.errors.append(context.error)

    app.add_error_handler(record)
    async with app:
        await set_commands(app)
        yield bot
        await bot.board.drain()


def told_to_try_again(bot: BotRig, since: int) -> bool:
    """The payer saw 'try again': in their chat, or as the alert of a button they pressed."""
    return any(
        TRY_AGAIN in c.text
        for c in bot.api.since(since)
        if c.ok and (c.chat_id == BOB.id or c.method == "answerCallbackQuery")
    )


@dataclass
class Flow:
    """One payer's way through the bot: the order card they opened, once they have."""

    bot: BotRig
    posted: Posted
    card: Call | None = None

    async def open_link(self) -> None:
        self.card = await self.bot.open_link(BOB, self.posted.token)

    async def press_pay(self) -> None:
        assert self.card is not None
        await self.bot.press(BOB, self.card, f"pay:{self.posted.token}")

    async def type_password(self) -> None:
        await self.bot.enter(BOB, PIN)


Step = Callable[[Flow], Awaitable[None]]
# The steps the payer takes while the database is up, then the one it fails on.
STEPS: dict[str, tuple[tuple[Step, ...], Step]] = {
    "opening the link": ((), Flow.open_link),
    "pressing Pay": ((Flow.open_link,), Flow.press_pay),
    "entering the payment password": ((Flow.open_link, Flow.press_pay), Flow.type_password),
}


@pytest.mark.parametrize("step", list(STEPS))
async def test_a_payer_is_told_to_try_again_while_the_database_is_down_then_pays(
    step: str, tmp_path: Path
) -> None:
    store = FlakyStore(InMemoryStore())
    async with telegram_like_bot(tmp_path, build_rig(store=store)) as bot:
        await bot.rig.engine.set_pin(f"tg:{BOB.id}", PIN)
        posted = await bot.post("/split 100 4 Dinner")
        flow = Flow(bot, posted)
        before, failing = STEPS[step]
        for done in before:
            await done(flow)
        mark = bot.api.mark()
        store.down = True
        await failing(flow)
        store.down = False
        failed = [type(e).__name__ for e in bot.errors]
        bot.errors.clear()
        assert set(failed) == {"OperationalError"}  # the handler, and the outbox's pass
        assert told_to_try_again(bot, mark), [c.text for c in bot.api.since(mark)]

        if step == "entering the payment password":
            await bot.enter(BOB, PIN)  # the keypad is still there: type it again
            held = bot.api.last(BOB.id)
        else:
            held = await bot.reserve(BOB, posted.token)
        assert "held for you" in held.text
        await bot.pay_checkout(held)
        view = await bot.rig.engine.public_order(posted.token)
        assert view.order.paid_count == 1
