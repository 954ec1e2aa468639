"""Live progress messages: edits coalesced per chat, one per 3 s at most, the last state shown.

What each message shows is kept on its post (OrderPost.shown_key, a digest of its text and
buttons): an edit is made only when the order's text differs from it, so after a restart only
the messages whose order changed meanwhile are edited. The key is stored after Telegram took
the edit; an edit in flight at a crash is made again, which shows the same text.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field

from telegram import Bot, InlineKeyboardMarkup
from telegram.error import BadRequest, ChatMigrated, Forbidden, RetryAfter, TelegramError

from core.domain.model import OrderPost
from core.usecases.deps import OrderView
from core.usecases.engine import Engine

log = logging.getLogger(__name__)

# The progress message's text, keyboard and key (bot.views.progress.shown_progress).
Render = Callable[[OrderView], Awaitable[tuple[str, InlineKeyboardMarkup | None, str]]]

MIN_INTERVAL_S = 3.0
MAX_BACKOFF_INTERVALS = 10  # a failing refresh is retried at most this many intervals apart
WARN_EVERY = 5  # failures of one message between two warnings that it is still failing


@dataclass(slots=True)
class _Chat:
    pending: dict[str, None] = field(default_factory=dict)  # order ids, in arrival order
    last_edit: float = float("-inf")
    task: asyncio.Task[None] | None = None


def _non_empty(markup: InlineKeyboardMarkup | None) -> InlineKeyboardMarkup | None:
    """An edit without a keyboard removes it; an empty one is refused."""
    return markup if markup is not None and any(markup.inline_keyboard) else None


def _seconds(retry_after: object) -> float:
    total = getattr(retry_after, "total_seconds", None)
    return float(total()) if callable(total) else float(retry_after)  # type: ignore[arg-type]


class ProgressBoard:
    """Keeps every posted progress message up to date without tripping flood control."""

    def __init__(
        self,
        bot: Bot,
        engine: Engine,
        render: Render,
        min_interval_s: float = MIN_INTERVAL_S,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._bot, self._engine, self._render = bot, engine, render
        self._interval, self._clock = min_interval_s, clock
        self._chats: dict[int, _Chat] = {}
        self._failures: dict[tuple[int, str], int] = {}

    def posted(self, chat_id: int) -> None:
        """A progress message was just sent in the chat: the next edit there waits its turn."""
        self._chats.setdefault(chat_id, _Chat()).last_edit = self._clock()

    async def touch(self, order_id: str) -> None:
        """The order changed: refresh its progress message in every chat it is posted in."""
        for post in await self._engine.posts_of(order_id):
            self._want(post.chat_id, order_id)

    def _want(self, chat_id: int, order_id: str, delay_s: float = 0.0) -> None:
        self._prune()
        chat = self._chats.setdefault(chat_id, _Chat())
        chat.pending[order_id] = None
        if chat.task is None or chat.task.done():
            wait = max(delay_s, chat.last_edit + self._interval - self._clock(), 0.0)
            chat.task = asyncio.create_task(self._run(chat_id, wait))

    async def _run(self, chat_id: int, wait: float) -> None:
        chat = self._chats[chat_id]
        try:
            while chat.pending:
                await asyncio.sleep(max(wait, chat.last_edit + self._interval - self._clock(), 0))
                order_id = next(iter(chat.pending))
                del chat.pending[order_id]
                try:
                    wait = await self._refresh(chat_id, order_id)
                except Exception:  # e.g. the database is busy: keep the chat's queue alive
                    log.exception("order %s: progress refresh failed", order_id)
                    wait = self._retry_later(chat_id, order_id)
        finally:
            chat.task = None

    async def _refresh(self, chat_id: int, order_id: str) -> float:
        """Edit one progress message; returns how long to wait before the next edit."""
        view = await self._engine.order_view(order_id)
        posts = await self._engine.posts_of(order_id)
        post = next((p for p in posts if p.chat_id == chat_id), None)
        if post is None:  # the group became a supergroup meanwhile: follow the order there
            for moved in posts:
                self._want(moved.chat_id, order_id)
            return 0.0
        if view is None:
            return 0.0
        text, markup, key = await self._render(view)
        markup = _non_empty(markup)
        if post.progress_message_id is None:
            return await self._repost(post, text, markup, key)
        wait, shown = 0.0, post.shown_key == key
        if not shown:
            wait, shown = await self._edit(post, key, text, markup)
        # A closed order's final state, once shown: start-up need not look at it again.
        if shown and view.order.state != "open" and not post.final_shown:
            await self._engine.final_shown(order_id, chat_id)
        return wait

    async def _edit(
        self, post: OrderPost, key: str, text: str, markup: InlineKeyboardMarkup | None
    ) -> tuple[float, bool]:
        """Make the edit; how long to wait before the next, and whether it now shows `key`
        (refused edits count as shown: trying again would be refused again)."""
        chat = self._chats[post.chat_id]
        try:
            await self._bot.edit_message_text(
                text,
                chat_id=post.chat_id,
                message_id=post.progress_message_id,
                reply_markup=markup,
                parse_mode="HTML",
            )
        except RetryAfter as exc:
            self._want(post.chat_id, post.order_id)
            return _seconds(exc.retry_after), False
        except ChatMigrated as exc:
            await self._engine.migrate_chat(post.chat_id, exc.new_chat_id)
            self._want(exc.new_chat_id, post.order_id)
            return 0.0, False
        except BadRequest as exc:
            if "not modified" not in exc.message.lower():
                log.warning("order %s: progress edit refused: %s", post.order_id, exc.message)
        except Forbidden as exc:  # the bot was removed from the group: nothing more to do
            log.warning("order %s: progress edit forbidden: %s", post.order_id, exc)
            return 0.0, True
        except TelegramError as exc:
            log.warning("order %s: progress edit failed: %s", post.order_id, exc)
            return self._retry_later(post.chat_id, post.order_id), False
        chat.last_edit = self._clock()
        self._failures.pop((post.chat_id, post.order_id), None)
        await self._engine.set_shown(post.order_id, post.chat_id, key)
        return 0.0, True

    def _retry_later(self, chat_id: int, order_id: str) -> float:
        """Try a failed refresh again, backing off, until it goes through.

        Never given up: a closed order has no next change that would bring its message
        up to date, so a long Telegram outage would leave it showing an old state.
        """
        failures = self._failures.get((chat_id, order_id), 0) + 1
        self._failures[(chat_id, order_id)] = failures
        steps = min(1 << min(failures - 1, 16), MAX_BACKOFF_INTERVALS)
        delay_s = self._interval * steps
        if failures % WARN_EVERY == 0:
            log.warning(
                "order %s: progress message still failing after %d tries; next in %.0f s",
                order_id,
                failures,
                delay_s,
            )
        self._want(chat_id, order_id, delay_s=delay_s)
        return delay_s

    def _prune(self) -> None:
        """Forget idle chats whose last edit is older than the interval (memory stays flat)."""
        now = self._clock()
        idle = [
            chat_id
            for chat_id, chat in self._chats.items()
            if chat.task is None and not chat.pending and now - chat.last_edit > self._interval
        ]
        for chat_id in idle:
            del self._chats[chat_id]

    async def _repost(
        self, post: OrderPost, text: str, markup: InlineKeyboardMarkup | None, key: str
    ) -> float:
        """Post the progress message afresh (the group became a supergroup)."""
        try:
            sent = await self._bot.send_message(
                post.chat_id, text, reply_markup=markup, parse_mode="HTML"
            )
        except RetryAfter as exc:
            self._want(post.chat_id, post.order_id)
            return _seconds(exc.retry_after)
        except TelegramError as exc:
            log.warning("order %s: progress message not re-posted: %s", post.order_id, exc)
            return self._interval
        await self._engine.repost_progress(post.order_id, post.chat_id, sent.message_id)
        await self._engine.set_shown(post.order_id, post.chat_id, key)
        self.posted(post.chat_id)
        return 0.0

    async def drain(self) -> None:
        """Wait until every pending edit is made (tests, shutdown)."""
        while tasks := [c.task for c in self._chats.values() if c.task is not None]:
            await asyncio.gather(*tasks, return_exceptions=True)
