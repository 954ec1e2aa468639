"""The relay: events from the outbox become letters (bot.chat.events), in one transaction that
marks each event done, so an event is told once, or again after a crash before that commit.

It runs once the bot is up (rendering needs the bot's name for its links): events written while
it was down, or by an instance without the bot (`chipin serve`), wait in the database.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Callable

from telegram.ext import Application, ContextTypes

from bot.chat.board import ProgressBoard
from bot.chat.events import letters_of
from core.domain.events import describe
from core.domain.outbox import Letter, QueuedEvent
from core.usecases.engine import Engine

log = logging.getLogger(__name__)

BATCH = 100
POLL_S = 2.0  # events written by another process are found this soon without a nudge
MAX_TRIES = 5  # an event whose letters cannot be made is given up after this many tries


class Relay:
    """Turns the outbox's events into letters, the oldest first, one at a time."""

    def __init__(
        self,
        app: Application,  # type: ignore[type-arg]
        engine: Engine,
        board: ProgressBoard | None,
        on_letters: Callable[[], None],
        *,
        poll_s: float = POLL_S,
    ) -> None:
        self._app, self._engine, self._board = app, engine, board
        self._on_letters, self._poll_s = on_letters, poll_s
        self._wake = asyncio.Event()
        self._tries: dict[int, int] = {}

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
        """Relay what is due now; the number of events looked at."""
        due = await self._engine.due_events(BATCH)
        for queued in due:
            await self._relay(queued)
        if due:
            self._on_letters()
        return len(due)

    async def _relay(self, queued: QueuedEvent) -> None:
        event = queued.event
        letters = await self._letters(queued)
        if letters is None:
            return
        await self._engine.finish_event(queued.id, letters)
        self._tries.pop(queued.id, None)
        if self._board is not None and event.order_id:
            await self._board.touch(event.order_id)

    async def _letters(self, queued: QueuedEvent) -> list[Letter] | None:
        """The event's letters; None to try it again on the next pass."""
        context = ContextTypes.DEFAULT_TYPE(self._app)
        try:
            return await letters_of(context, queued.event)
        except Exception:
            tries = self._tries.get(queued.id, 0) + 1
            self._tries[queued.id] = tries
            if tries < MAX_TRIES:
                log.exception("outbox: %s not told yet (try %d)", describe(queued.event), tries)
                return None
            log.exception("outbox: %s given up after %d tries", describe(queued.event), tries)
            return []
