"""The postman: sends the outbox's letters, each chat's in order, at least once.

A letter is marked `sending` before the call and `sent` after it. What Telegram answers decides
what comes next:

- taken: sent;
- a rate limit (after python-telegram-bot's own retries), a server error, no connection or a
  timeout: tried again after a backoff (core.domain.outbox.retry_delay), for as long as
  Telegram is away, up to GIVE_UP_AFTER; a timeout may mean the message arrived, so the
  person may get it twice: a receipt twice is better than none;
- a group that became a supergroup: its letters and posts move to the new chat, then again;
- a private chat that refuses (never started, blocked, or a person the bot has never met:
  "chat not found"): held for the person's /start, and its fallback (a hint in the groups)
  queued instead;
- a chat that is gone, a bot removed from a group, or a text Telegram refuses: failed for good,
  logged, never tried again.

A letter found `sending` at start-up was in flight at a stop: it is sent again, and counted.
While letters fail for want of Telegram, it is asked every few seconds whether it is back;
once it answers, every letter backing off goes at once.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import time
from collections.abc import Callable
from datetime import timedelta

from telegram import Bot, InlineKeyboardMarkup, ReplyParameters
from telegram.constants import ParseMode
from telegram.error import BadRequest, ChatMigrated, Forbidden, RetryAfter, TelegramError

from core.domain.outbox import RATE_LIMITED, LetterState, QueuedLetter
from core.usecases.engine import Engine

log = logging.getLogger(__name__)

BATCH = 100
POLL_S = 1.0  # letters due later (a backoff), or written by another process, are found this soon
PARALLEL = 16  # chats sent to at once; python-telegram-bot's rate limiter spaces the calls
PROBE_S = 5.0  # while Telegram fails, it is asked whether it is back this often
MAX_BROKEN = 5  # tries of a letter whose delivery fails outside Telegram before it is failed


def _seconds(value: float | timedelta) -> float:
    return value.total_seconds() if isinstance(value, timedelta) else float(value)


class Postman:
    """Sends what the outbox holds, one letter at a time per chat, many chats at once."""

    def __init__(
        self,
        bot: Bot,
        engine: Engine,
        *,
        poll_s: float = POLL_S,
        probe_s: float = PROBE_S,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._bot, self._engine, self._poll_s = bot, engine, poll_s
        self._probe_s, self._clock = probe_s, clock
        self._away = False  # the last letter tried failed for want of Telegram
        self._probed_at = float("-inf")
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
        """`start`, then pass after pass, until cancelled; letters being sent then are left
        `sending` (sent again at the next start). A database that fails holds up nothing
        else: each step is tried again a second later."""
        while True:
            try:
                await self.start()
                break
            except Exception:
                log.exception("outbox postman: reading the letters in flight failed; retrying")
                await asyncio.sleep(self._poll_s)
        try:
            while True:
                self._wake.clear()
                try:
                    if self._away and self._probe_due():
                        await self.probe()
                    await self.pass_once()
                except Exception:
                    log.exception("outbox postman: reading letters failed; trying again")
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(self._wake.wait(), self._poll_s)
        finally:  # letters being sent are cut off, and awaited before the bot closes
            tasks = list(self._busy.values())
            for task in tasks:
                task.cancel()
            await asyncio.gather(*tasks, return_exceptions=True)

    def _probe_due(self) -> bool:
        return self._clock() - self._probed_at >= self._probe_s

    async def probe(self) -> bool:
        """While letters fail for want of Telegram, ask it something cheap (getMe) now and
        then; once it answers, every letter backing off goes at once rather than at its next
        try, up to a minute away. True when Telegram answered."""
        self._probed_at = self._clock()
        try:
            await self._bot.get_me()
        except TelegramError:
            return False
        self._away = False
        hurried = await self._engine.hurry_letters()
        if hurried:
            log.info("outbox: Telegram answers again; %d waiting messages go now", hurried)
        return True

    async def pass_once(self) -> int:
        """Start sending every chat's next letter that is due; the number started.

        A chat's first letter still `sending` that this postman is not sending was left so
        by a step that failed after the call (the database was away when it was to be
        marked sent): it goes back to pending, and may arrive twice.
        """
        started = 0
        for q in await self._engine.due_letters(BATCH):
            if q.letter.chat_id in self._busy:
                continue
            if q.state is LetterState.SENDING:
                log.warning("letter %d: left in flight; sending it again (may arrive twice)", q.id)
                await self._engine.letter_retry(q, "left in flight")
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
        tried = False
        try:
            async with self._slots:
                tried = await self._engine.letter_sending(q.id)
                if tried:
                    await self._send_one(q)
        except Exception:
            await self._broken(q)
        finally:
            self._busy.pop(q.letter.chat_id, None)
            if tried:
                self._wake.set()  # the chat's next letter may be due

    async def _broken(self, q: QueuedLetter) -> None:
        """Not a Telegram answer: the database failed, or the letter cannot be sent at all
        (its keyboard unreadable). Tried again, a few times."""
        log.exception("letter %d: delivery failed (try %d)", q.id, q.tries + 1)
        with contextlib.suppress(Exception):  # the database may be what failed
            if q.tries + 1 >= MAX_BROKEN:
                await self._engine.letter_failed(q.id, "delivery failed")
            else:
                await self._engine.letter_retry(q, "delivery failed")

    async def _send_one(self, q: QueuedLetter) -> None:
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
            await self._engine.letter_retry(q, RATE_LIMITED, _seconds(exc.retry_after))
        except ChatMigrated as exc:
            log.info("%s: the group became a supergroup; following it", what)
            await self._engine.migrate_chat(letter.chat_id, exc.new_chat_id)
            await self._engine.letter_retry(q, "chat migrated", 0.0)
        except Forbidden as exc:
            await self._refused(q, what, exc)
        except BadRequest as exc:
            if letter.chat_id > 0 and "chat not found" in exc.message.lower():
                await self._refused(q, what, exc)  # a person the bot has never met
                return
            log.warning("%s: refused for good: %s", what, exc.message)
            await self._engine.letter_failed(q.id, f"BadRequest: {exc.message}")
        except TelegramError as exc:  # no connection, a timeout, a server error
            self._away = True
            said = self._said(exc)
            if q.tries % 5 == 4:
                log.warning("%s: still not sent after %d tries: %s", what, q.tries + 1, said)
            if not await self._engine.letter_retry(q, said):
                log.warning("%s: not sent in time; given up", what)
        else:
            self._away = False
            await self._engine.letter_sent(q.id)

    def _said(self, exc: TelegramError) -> str:
        """The error for the log and the row, without the bot token a URL may carry."""
        text = f"{type(exc).__name__}: {exc}"
        token = self._bot.token
        for secret in (token, token.partition(":")[2]):
            if secret:
                text = text.replace(secret, "<TELEGRAM_BOT_TOKEN>")
        return text

    async def _refused(self, q: QueuedLetter, what: str, exc: TelegramError) -> None:
        if q.letter.chat_id > 0:  # a person: kept for their /start, the groups get a hint
            log.info("%s: the person cannot be messaged yet; held for their /start", what)
            await self._engine.letter_held(q)
            return
        log.warning("%s: the bot cannot post in the chat any more: %s", what, exc.message)
        await self._engine.letter_failed(q.id, f"{type(exc).__name__}: {exc.message}")


def _answering(message_id: int | None) -> ReplyParameters | None:
    """A reply to the message, or a plain message if it was deleted meanwhile."""
    if message_id is None:
        return None
    return ReplyParameters(message_id=message_id, allow_sending_without_reply=True)


def _json(text: str) -> dict[str, object]:
    found = json.loads(text)
    return found if isinstance(found, dict) else {}
