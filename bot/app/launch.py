"""The bot's launch: Telegram is tried with backoff until it answers, then updates flow.

`chipin run` does not wait for Telegram. The listener (REST API, gateway webhooks,
settlement) and the engine's jobs run from start-up (bot.app.runner), and the bot comes up
beside them in a task of its own, in the order it always has: `initialize` (getMe), the
command menu, `start`, then the webhook or polling, and the reminders rebuilt in the
background. While Telegram cannot be reached (no connection, a timeout, a 5xx answer, flood
control) the bot tries again after 1 s, then twice as long each time up to 60 s, with a
little jitter; the log says so once, and once more when the bot is up. A refusal that
waiting cannot cure (a token Telegram rejects) stops Chipin with one line saying why.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import secrets
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass
from datetime import timedelta

from telegram.error import BadRequest, InvalidToken, NetworkError, RetryAfter, TelegramError
from telegram.ext import Application

from bot.app.service import Service
from bot.app.settings import Refused
from bot.app.webhook import set_webhook
from bot.chat.application import rebuild_timers, set_commands, start_outbox

log = logging.getLogger(__name__)

UNREACHABLE = "Telegram is unreachable"  # in the one warning while the bot keeps trying
_JITTER = secrets.SystemRandom()  # spreads the tries of instances restarted together


class BotRefused(Refused):
    """Telegram refused the bot in a way that waiting cannot cure: Chipin stops, saying why
    in one line (the bot token never in it)."""


@dataclass(frozen=True, slots=True)
class Backoff:
    """The wait before the next try: `first_s` after the first failure, twice as long after
    each next one, `cap_s` at most; each wait is shortened by up to `jitter` of itself."""

    first_s: float = 1.0
    cap_s: float = 60.0
    jitter: float = 0.1

    def __post_init__(self) -> None:
        if not (0 < self.first_s <= self.cap_s and 0 <= self.jitter < 1):
            raise ValueError("backoff needs 0 < first_s <= cap_s and 0 <= jitter < 1")

    def delay_s(
        self, failures: int, uniform: Callable[[float, float], float] = _JITTER.uniform
    ) -> float:
        """The wait after `failures` failed tries in a row (1 or more)."""
        # The exponent is clamped so that a long outage cannot overflow the float.
        base = min(self.cap_s, self.first_s * 2.0 ** min(max(failures, 1) - 1, 64))
        return base * uniform(1 - self.jitter, 1)


def unreachable(exc: BaseException) -> bool:
    """Whether waiting may cure it: no connection, a timeout or a 5xx answer (for all three
    python-telegram-bot raises NetworkError), or flood control (RetryAfter). BadRequest, a
    400, is a NetworkError too, but no wait changes Telegram's mind about it."""
    if isinstance(exc, RetryAfter):
        return True
    return isinstance(exc, NetworkError) and not isinstance(exc, BadRequest)


@contextlib.asynccontextmanager
async def bot_running(
    service: Service, stop: Callable[[], None], backoff: Backoff | None = None
) -> AsyncIterator[None]:
    """The bot comes up in a task of its own while the caller serves, and is taken down on
    the way out from whatever state it reached: still trying, initialized half-way, running.

    When it cannot start for good, `stop` is called (the listener stops) and the reason is
    raised on the way out: BotRefused for Telegram's refusal, anything else as it came.
    """
    app = service.bot
    if app is None:
        yield
        return
    workers: list[asyncio.Task[None]] = []  # the outbox's, once the bot is up
    launching = asyncio.create_task(
        launch(service, app, backoff or Backoff(), workers), name="bot launch"
    )

    def on_done(task: asyncio.Task[None]) -> None:
        if not task.cancelled() and task.exception() is not None:
            stop()

    launching.add_done_callback(on_done)
    try:
        yield
    finally:
        for task in (launching, *workers):
            task.cancel()
        try:
            await asyncio.wait([launching, *workers])
        finally:
            await _close(app)
        failed = None if launching.cancelled() else launching.exception()
    if failed is not None:
        raise failed


async def launch(
    service: Service,
    app: Application,  # type: ignore[type-arg]
    backoff: Backoff,
    workers: list[asyncio.Task[None]],
) -> None:
    """Bring the bot up, trying again while Telegram cannot be reached, then start the
    outbox's workers (into `workers`); BotRefused when Telegram refuses the bot for good."""
    token = app.bot.token
    failures = 0
    while True:
        try:
            mode = await _bring_up(service, app)
            break
        except TelegramError as exc:
            if not unreachable(exc):
                raise refusal(exc, token) from None
            failures += 1
            await _halt(app)
            if failures == 1:
                log.warning(
                    "%s (%s); the API and webhooks run, the bot retries with backoff",
                    UNREACHABLE,
                    said(exc, token),
                )
            await asyncio.sleep(max(backoff.delay_s(failures), _retry_after_s(exc)))
    after = f" after {failures + 1} tries" if failures else ""
    log.info("Telegram bot @%s is running (%s)%s", app.bot.username, mode, after)
    # In the background (awaited when the bot stops): with many open orders it takes a
    # while, and neither the listener's webhooks nor the chats' updates wait for it.
    app.create_task(rebuild_timers(app), name="rebuild timers")
    workers.extend(start_outbox(app))


async def _bring_up(
    service: Service,
    app: Application,  # type: ignore[type-arg]
) -> str:
    """One try, step by step; returns how the bot takes updates. Each step may be made again
    after a failure: `initialize` skips what it has done, the menu is set as a whole."""
    await app.initialize()
    await set_commands(app)
    await app.start()
    if service.webhook_token is not None:
        await set_webhook(app, service.settings, service.webhook_token)
        return "webhook"
    if app.updater is not None:
        await app.updater.start_polling(poll_interval=0.0, timeout=10)
    return "polling"


async def _halt(app: Application) -> None:  # type: ignore[type-arg]
    """Stop taking and handling updates, if that had started; the bot stays initialized."""
    if app.updater is not None and app.updater.running:
        await app.updater.stop()
    if app.running:
        await app.stop()


async def _close(app: Application) -> None:  # type: ignore[type-arg]
    """Take the bot down from any state: stopped if it ran, shut down if it was initialized,
    and the Bot API client's connections closed when `initialize` stopped half-way (the
    Application's `shutdown` does nothing then)."""
    await _halt(app)
    await app.shutdown()
    await app.bot.shutdown()


def refusal(exc: TelegramError, token: str) -> BotRefused:
    """Telegram's refusal as one line naming the setting, without the token; for every
    command that asks Telegram with it (`chipin run`, `chipin codes print`)."""
    if isinstance(exc, InvalidToken):  # 401 or 404 to getMe
        why = exc.__cause__ if isinstance(exc.__cause__, TelegramError) else exc
        return BotRefused(
            f"bad setting TELEGRAM_BOT_TOKEN: Telegram rejects it ({said(why, token)}); "
            "check the token @BotFather gave, and TELEGRAM_BASE_URL if it is set"
        )
    return BotRefused(f"Telegram refused the bot at start-up ({said(exc, token)})")


def said(exc: BaseException, token: str) -> str:
    """The error in a few words for the log, without the bot token: python-telegram-bot puts
    it in some messages, and a transport error may quote the URL, which carries it."""
    text = f"{type(exc).__name__}: {exc}"
    for secret in (token, token.partition(":")[2]):
        if secret:
            text = text.replace(secret, "<TELEGRAM_BOT_TOKEN>")
    return text


def _retry_after_s(exc: TelegramError) -> float:
    """Flood control's wait, in seconds (0 for any other error)."""
    if not isinstance(exc, RetryAfter):
        return 0.0
    after = exc.retry_after
    return after.total_seconds() if isinstance(after, timedelta) else float(after)
