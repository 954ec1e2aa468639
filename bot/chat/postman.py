"""The postman: sends the outbox's letters, each chat's in order, at least once.

A letter is marked `sending` before the call and `sent` after it. What Telegram answers decides
what comes next:

- taken: sent;
- a rate limit (after python-telegram-bot's own retries), a server error, no connection or a
  timeout: tried again after a backoff (core.domain.outbox.retry_delay), for as long as
  Telegram is away, up to GIVE_UP_AFTER; a timeout may mean the message arrived, so the
  person may get it twice: a receipt twice is better than none;
- a group that became a supergroup: its letters and posts move to the new chat, then again;
- a private chat that refuses (never started, or blocked): held for the person's /start, and
  its fallback (a hint in the groups) queued instead;
- a chat that is gone, a bot removed from a group, or a text Telegram refuses: failed for good,
  logged, never tried again.

A letter found `sending` at start-up was in flight at a stop: it is sent again, and counted.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
from datetime import timedelta

from telegram import Bot, InlineKeyboardMarkup, ReplyParameters
from telegram.constants import ParseMode
from telegram.error import BadRequest, ChatMigrated, Forbidden, RetryAfter, TelegramError

from core.domain.outbox import QueuedLetter
from core.usecases.engine import Engine

log = logging.getLogger(__name__)

BATCH = 100
POLL_S = 1.0  # letters due later (a backoff), or written by another process, are found this soon
PARALLEL = 16  # chats sent to at once; python-telegram-bot's rate limiter spaces the calls


def _seconds(value: float | timedelta) -> float:
    return value.total_seconds() if isinstance(value, timedelta) else float(value)


class Postman:
    """Sends what the outbox holds, one letter at a time per chat, many chats at once."""

    def __init__(self, bot: Bot, engine: Engine, *, poll_s: float = POLL_S) -> None:
        self._bot, self._engine, self._poll_s = bot, engine, poll_s
        self._wake = asyncio.Event()
        self._busy: dict[int, asyncio.Task[None]] = {}  # chat id -> its letter being sent
        self._slots = asyncio.Semaphore(PARALLEL)

    def wake(self) -> None:
        """Letters were just queued: look now."""
        self._wake.set()

    async def start(self) -> int:
        """Before the first pass: letters left `sending` by the last stop are sent again."""
        again = await self._engine.resend_in_flight()
        if again:
            log.warning(
                "outbox: %d messages were being sent when Chipin stopped; sending them again "
                "(each may arrive twice)",
                again,
            )
        return again

    async def run(self) -> None:
        """Until cancelled; letters being sent then are left `sending` (sent again at start)."""
        try:
            while True:
                self._wake.clear()
                try:
                    await self.pass_once()
                except Exception:
                    log.exception("outbox postman: reading letters failed; trying again")
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(self._wake.wait(), self._poll_s)
        finally:
            for task in self._busy.values():
                task.cancel()

    async def pass_once(self) -> int:
        """Start sending every chat's next letter that is due; the number started."""
        started = 0
        for q in await self._engine.due_letters(BATCH):
            if q.letter.chat_id in self._busy:
                continue
            task = asyncio.create_task(self._deliver(q), name=f"letter {q.id}")
            self._busy[q.letter.chat_id] = task
            started += 1
        return started

    async def drain(self) -> None:
        """Send until nothing is due now (tests)."""
        while await self.pass_once() or self._busy:
            await asyncio.gather(*self._busy.values(), return_exceptions=True)

    async def _deliver(self, q: QueuedLetter) -> None:
        try:
            async with self._slots:
                await self._send_one(q)
        except Exception:
            log.exception("letter %d: delivery failed; it is tried again", q.id)
            with contextlib.suppress(Exception):  # the database may be what failed
                await self._engine.letter_retry(q, "delivery failed")
        finally:
            self._busy.pop(q.letter.chat_id, None)
            self._wake.set()  # the chat's next letter may be due

    async def _send_one(self, q: QueuedLetter) -> None:
        if not await self._engine.letter_sending(q.id):
            return
        letter = q.letter
        markup = None
        if letter.markup:
            markup = InlineKeyboardMarkup.de_json(_json(letter.markup), self._bot)
        what = f"letter {q.id} ({letter.kind})"  # never the text: it may name people
        try:
            await self._bot.send_message(
                letter.chat_id,
                letter.text,
                parse_mode=ParseMode.HTML,
                reply_markup=markup,
                reply_parameters=_answering(letter.reply_to),
            )
        except RetryAfter as exc:
            await self._engine.letter_retry(q, "rate limited", _seconds(exc.retry_after))
        except ChatMigrated as exc:
            log.info("%s: the group became a supergroup; following it", what)
            await self._engine.migrate_chat(letter.chat_id, exc.new_chat_id)
            await self._engine.letter_retry(q, "chat migrated", 0.0)
        except Forbidden as exc:
            await self._refused(q, what, exc)
        except BadRequest as exc:
            log.warning("%s: refused for good: %s", what, exc.message)
            await self._engine.letter_failed(q.id, f"BadRequest: {exc.message}")
        except TelegramError as exc:  # no connection, a timeout, a server error
            if q.tries % 5 == 4:
                log.warning("%s: still not sent after %d tries: %s", what, q.tries + 1, exc)
            if not await self._engine.letter_retry(q, f"{type(exc).__name__}: {exc}"):
                log.warning("%s: not sent in time; given up", what)
        else:
            await self._engine.letter_sent(q.id)

    async def _refused(self, q: QueuedLetter, what: str, exc: Forbidden) -> None:
        if q.letter.chat_id > 0:  # a person: kept for their /start, the groups get a hint
            log.info("%s: the person cannot be messaged yet; held for their /start", what)
            await self._engine.letter_held(q)
            return
        log.warning("%s: the bot cannot post in the chat any more: %s", what, exc.message)
        await self._engine.letter_failed(q.id, f"Forbidden: {exc.message}")


def _answering(message_id: int | None) -> ReplyParameters | None:
    """A reply to the message, or a plain message if it was deleted meanwhile."""
    if message_id is None:
        return None
    return ReplyParameters(message_id=message_id, allow_sending_without_reply=True)


def _json(text: str) -> dict[str, object]:
    found = json.loads(text)
    return found if isinstance(found, dict) else {}
