"""The repository of the outbox (core.domain.outbox): events written with the money change
they tell of, and the letters the bot makes of them."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Protocol

from core.domain.events import DomainEvent
from core.domain.outbox import Letter, LetterState, OutboxDepth, QueuedEvent, QueuedLetter


class OutboxRepo(Protocol):
    """The outbox inside one transaction: storage.repos.outbox and its fake
    (tests.support.fakes.repos.outbox) implement it method for method, in this order."""

    async def add_events(self, events: Sequence[DomainEvent], now: datetime) -> None:
        """In the transaction of the change the events tell of."""
        ...

    async def due_events(self, limit: int) -> list[QueuedEvent]:
        """Events not yet turned into letters, the oldest first."""
        ...

    async def finish_event(self, event_id: int, letters: Sequence[Letter], now: datetime) -> bool:
        """The event's letters are queued and the event is done; False (and nothing queued)
        if it was done already."""
        ...

    async def add_letters(self, letters: Sequence[Letter], now: datetime) -> None: ...

    async def due_letters(self, now: datetime, limit: int) -> list[QueuedLetter]:
        """The first waiting letter of each chat (pending or sending, by id), when it is due:
        a chat's later letters wait for it."""
        ...

    async def set_letter(
        self,
        letter_id: int,
        was: Sequence[LetterState],
        state: LetterState,
        now: datetime,
        *,
        next_at: datetime | None = None,
        error: str | None = None,
    ) -> bool:
        """Move a letter from one of `was` to `state`; a failed try (state pending with a
        `next_at`) counts one more try. False if it was in none of `was`."""
        ...

    async def hurry_letters(self, now: datetime) -> int:
        """Telegram is back: pending letters backing off after a failure (not a rate limit)
        are due now; how many."""
        ...

    async def release_held(self, chat_id: int, now: datetime, keep: int) -> int:
        """The chat's held letters are sent now: the newest `keep`, the rest expire."""
        ...

    async def move_letters(self, old_chat_id: int, new_chat_id: int) -> int:
        """Waiting letters follow a group that became a supergroup."""
        ...

    async def resend_in_flight(self, now: datetime) -> int:
        """At start-up: letters left `sending` by a crash are pending again."""
        ...

    async def outbox_depth(self) -> OutboxDepth: ...

    async def purge_outbox(self, before: datetime) -> int:
        """Every row older than `before` is deleted; the number of those never relayed,
        sent or released (waiting or held) is returned."""
        ...
