"""The relay: events from the outbox become letters (bot.chat.events), in one transaction that
marks each event done, so an event is told once, or again after a crash before that commit.

It runs once the bot is up (rendering needs the bot's name for its links): events written while
it was down, or by an instance without the bot (`chipin serve`), wait in the database.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import Callable
from dataclasses import dataclass

from telegram.ext import Application, ContextTypes

from bot.chat.board import ProgressBoard
from bot.chat.events import letters_of, touched
from core.domain.events import describe
from core.domain.outbox import Letter, QueuedEvent
from core.usecases.engine import Engine

log = logging.getLogger(__name__)

BATCH = 100
POLL_S = 2.0  # events written by another process are found this soon without a nudge
GIVE_UP_S = 600.0  # an event whose letters cannot be made for this long is let go, and logged


@dataclass(slots=True)
class _Failing:
    """An event whose letters could not be made: since when, and when to try again."""

    since: float
    tries: int
    next_at: float


class Relay:
    """Turns the outbox's events into letters, the oldest first, one at a time.

    An event whose letters cannot be made (the database failed while rendering) holds up the
    events after it, so each chat's letters keep their order: it is tried again after 1 s,
    doubling to a minute, and let go (logged) only after GIVE_UP_S of failing. An event this
    version cannot read is let go at once, and logged.
    """

    def __init__(
        self,
        app: Application,  # type: ignore[type-arg]
        engine: Engine,
        board: ProgressBoard | None,
        on_letters: Callable[[], None],
        *,
        poll_s: float = POLL_S,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._app, self._engine, self._board = app, engine, board
        self._on_letters, self._poll_s, self._clock = on_letters, poll_s, clock
        self._wake = asyncio.Event()
        self._failing: dict[int, _Failing] = {}

    def wake(self) -> None:
        """Events were just written: look now."""
        self._wake.set()

    async def run(self) -> None:
        """Until cancelled."""
        while True:
            self._wake.clear()
            try:
                done = await self.pass_once()
            except Exception:
                log.exception("outbox relay: reading events failed; trying again")
                done = 0
            if done >= BATCH:
                continue
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._wake.wait(), self._poll_s)

    async def pass_once(self) -> int:
        """Relay what is due now, in order, up to an event that fails; the number relayed."""
        done = 0
        for queued in await self._engine.due_events(BATCH):
            if not await self._relay(queued):
                break
            done += 1
        if done:
            self._on_letters()
        return done

    async def _relay(self, queued: QueuedEvent) -> bool:
        """Make the event's letters and queue them; False to stop here and try it later."""
        failing = self._failing.get(queued.id)
        if failing is not None and self._clock() < failing.next_at:
            return False
        letters = await self._letters(queued, failing)
        if letters is None:
            return False
        await self._engine.finish_event(queued.id, letters)
        self._failing.pop(queued.id, None)
        if self._board is not None and queued.event is not None:
            for order_id in touched(queued.event):
                await self._board.touch(order_id)
        return True

    async def _letters(self, queued: QueuedEvent, failing: _Failing | None) -> list[Letter] | None:
        """The event's letters; None to try it again later."""
        if queued.event is None:
            log.error("outbox: event %d (%s) cannot be read by this version; let go",
                      queued.id, queued.kind)  # fmt: skip
            return []
        try:
            return await letters_of(ContextTypes.DEFAULT_TYPE(self._app), queued.event)
        except Exception:
            now = self._clock()
            failing = failing or _Failing(since=now, tries=0, next_at=now)
            failing.tries += 1
            failing.next_at = now + min(2.0 ** (failing.tries - 1), 60.0)
            self._failing[queued.id] = failing
            what = describe(queued.event)
            if now - failing.since < GIVE_UP_S:
                log.exception("outbox: %s not told yet (try %d)", what, failing.tries)
                return None
            log.exception("outbox: %s let go after %d tries", what, failing.tries)
            return []
