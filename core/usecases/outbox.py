"""The outbox's use cases (core.domain.outbox): the relay turns events into letters, the
postman sends letters, `chipin status` reads the depth."""

from __future__ import annotations

import logging
from collections.abc import Sequence
from datetime import datetime

from core.domain.outbox import (
    KEEP_DONE,
    MAX_HELD,
    Letter,
    LetterState,
    OutboxDepth,
    QueuedEvent,
    QueuedLetter,
    gives_up,
    retry_delay,
)
from core.usecases.deps import UseCases

log = logging.getLogger(__name__)

_SENDING = (LetterState.SENDING,)
_PENDING = (LetterState.PENDING,)


class Outbox(UseCases):
    """Events to turn into letters, letters to send, and what became of each."""

    async def due_events(self, limit: int = 100) -> list[QueuedEvent]:
        async with self._d.store.transaction() as tx:
            return await tx.outbox.due_events(limit)

    async def finish_event(self, event_id: int, letters: Sequence[Letter]) -> bool:
        """Queue the event's letters and mark it done, atomically."""
        async with self._d.store.transaction() as tx:
            return await tx.outbox.finish_event(event_id, letters, self._d.clock.now())

    async def due_letters(self, limit: int = 100) -> list[QueuedLetter]:
        async with self._d.store.transaction() as tx:
            return await tx.outbox.due_letters(self._d.clock.now(), limit)

    async def letter_sending(self, letter_id: int) -> bool:
        """Marked before the call; False if it is no longer pending (taken, or in flight
        when a stop came: start-up makes those pending again)."""
        return await self._set(letter_id, _PENDING, LetterState.SENDING)

    async def letter_sent(self, letter_id: int) -> None:
        await self._set(letter_id, _SENDING, LetterState.SENT)

    async def letter_failed(self, letter_id: int, error: str) -> None:
        """Refused for good: never tried again."""
        await self._set(letter_id, _SENDING, LetterState.FAILED, error=error)

    async def letter_retry(self, q: QueuedLetter, error: str, wait_s: float | None = None) -> bool:
        """Try again later (`wait_s`, or the backoff after one more failed try); False when
        the letter has waited too long and expires instead."""
        d = self._d
        now = d.clock.now()
        if gives_up(q.created_at, now):
            await self._set(q.id, _SENDING, LetterState.EXPIRED, error=error)
            return False
        delay = retry_delay(q.tries + 1)
        if wait_s is not None:
            delay = max(delay, type(delay)(seconds=wait_s))
        await self._set(q.id, _SENDING, LetterState.PENDING, next_at=now + delay, error=error)
        return True

    async def letter_held(self, q: QueuedLetter) -> None:
        """A private chat refused it (the person never started the bot, or blocked it): kept
        for /start, and its fallback (a hint in the groups) queued instead, atomically."""
        now = self._d.clock.now()
        async with self._d.store.transaction() as tx:
            if await tx.outbox.set_letter(q.id, _SENDING, LetterState.HELD, now):
                await tx.outbox.add_letters(q.letter.fallback, now)

    async def hurry_letters(self) -> int:
        """Telegram answers again: letters backing off after its failures go now."""
        async with self._d.store.transaction() as tx:
            return await tx.outbox.hurry_letters(self._d.clock.now())

    async def release_held(self, chat_id: int) -> int:
        """The person started the bot: what was held for them is sent now (the newest
        MAX_HELD; older ones expire)."""
        async with self._d.store.transaction() as tx:
            return await tx.outbox.release_held(chat_id, self._d.clock.now(), MAX_HELD)

    async def resend_in_flight(self) -> int:
        async with self._d.store.transaction() as tx:
            return await tx.outbox.resend_in_flight(self._d.clock.now())

    async def outbox_depth(self) -> OutboxDepth:
        async with self._d.store.transaction() as tx:
            return await tx.outbox.outbox_depth()

    async def purge_outbox(self) -> int:
        """Forget rows older than KEEP_DONE; the number never relayed, sent or released
        (logged as dropped)."""
        async with self._d.store.transaction() as tx:
            unsent = await tx.outbox.purge_outbox(self._d.clock.now() - KEEP_DONE)
        if unsent:
            log.warning(
                "outbox: %d events or messages never told in %s are dropped", unsent, KEEP_DONE
            )
        return unsent

    async def _set(
        self,
        letter_id: int,
        was: Sequence[LetterState],
        state: LetterState,
        *,
        next_at: datetime | None = None,
        error: str | None = None,
    ) -> bool:
        async with self._d.store.transaction() as tx:
            return await tx.outbox.set_letter(
                letter_id, was, state, self._d.clock.now(), next_at=next_at, error=error
            )
