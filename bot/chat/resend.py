"""Messages that must not be lost to a passing Telegram error (a completion announcement, a
receipt, a refund notice): sent again later in the background, so the update queue, which
handles one update at a time, never waits on them.

Only errors after which Telegram surely did not post the message are resent: a rate limit
(after python-telegram-bot's own retries), a server error or no connection. A timeout is
not: the message may have arrived, and a send has no idempotency key.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from datetime import timedelta

from telegram.error import BadRequest, NetworkError, RetryAfter, TelegramError, TimedOut
from telegram.ext import ContextTypes

log = logging.getLogger(__name__)

RESEND_DELAYS_S = (2.0, 5.0, 15.0, 30.0, 60.0, 120.0)  # about four minutes in all


def may_resend(exc: TelegramError) -> bool:
    """Did Telegram surely not take the message (so sending it again cannot double it)?"""
    if isinstance(exc, RetryAfter):
        return True
    return isinstance(exc, NetworkError) and not isinstance(exc, TimedOut | BadRequest)


def resend_later(
    context: ContextTypes.DEFAULT_TYPE,
    send: Callable[[], Awaitable[object]],
    what: str,
) -> None:
    """Try `send` again after each delay until it goes through or fails for good.

    `what` names the message in the log, never its text (it may name a payer).
    """
    task = _resend(send, what, RESEND_DELAYS_S)
    context.application.create_task(task, name=f"resend {what}")


async def _resend(
    send: Callable[[], Awaitable[object]], what: str, delays_s: tuple[float, ...]
) -> None:
    for tries, delay_s in enumerate(delays_s, start=2):
        await asyncio.sleep(delay_s)
        try:
            await send()
        except RetryAfter as exc:
            wait = exc.retry_after
            extra = wait.total_seconds() if isinstance(wait, timedelta) else float(wait)
            await asyncio.sleep(extra)
            continue
        except TelegramError as exc:
            if may_resend(exc):
                continue
            log.warning("%s: not sent on try %d, given up: %s", what, tries, exc)
            return
        log.info("%s: sent on try %d", what, tries)
        return
    log.warning("%s: still not sent after %d tries; given up", what, len(delays_s) + 1)
