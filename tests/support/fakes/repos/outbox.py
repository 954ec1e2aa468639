"""In-memory outbox: the fake of storage.repos.outbox, method for method, over plain dicts."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace
from datetime import datetime

from core.domain.events import DomainEvent
from core.domain.outbox import (
    RATE_LIMITED,
    WAITING,
    Letter,
    LetterState,
    OutboxDepth,
    QueuedEvent,
    QueuedLetter,
)
from tests.support.fakes.state import MemoryRepo


class InMemoryOutbox(MemoryRepo):
    """The outbox inside one transaction, over the in-memory state."""

    def _new_id(self) -> int:
        self.s.outbox.next_id += 1
        return self.s.outbox.next_id - 1

    async def add_events(self, events: Sequence[DomainEvent], now: datetime) -> None:
        for event in events:
            self.s.outbox.events[self._new_id()] = (event, now, None)

    async def due_events(self, limit: int) -> list[QueuedEvent]:
        due = [
            QueuedEvent(i, type(e).__name__, e)
            for i, (e, _, done) in self.s.outbox.events.items()
            if not done
        ]
        return sorted(due, key=lambda q: q.id)[:limit]

    async def finish_event(self, event_id: int, letters: Sequence[Letter], now: datetime) -> bool:
        found = self.s.outbox.events.get(event_id)
        if found is None or found[2] is not None:
            return False
        self.s.outbox.events[event_id] = (found[0], found[1], now)
        await self.add_letters(letters, now)
        return True

    async def add_letters(self, letters: Sequence[Letter], now: datetime) -> None:
        for letter in letters:
            i = self._new_id()
            self.s.outbox.letters[i] = QueuedLetter(i, letter, LetterState.PENDING, 0, now, now)

    async def due_letters(self, now: datetime, limit: int) -> list[QueuedLetter]:
        heads: dict[int, QueuedLetter] = {}
        for q in sorted(self.s.outbox.letters.values(), key=lambda q: q.id):
            if q.state in WAITING:
                heads.setdefault(q.letter.chat_id, q)
        due = [q for q in heads.values() if q.next_at <= now]
        return sorted(due, key=lambda q: q.id)[:limit]

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
        q = self.s.outbox.letters.get(letter_id)
        if q is None or q.state not in was:
            return False
        if next_at is not None:
            q = replace(q, next_at=next_at, tries=q.tries + 1)
        if error is not None:
            q = replace(q, error=error[:200])
        self.s.outbox.letters[letter_id] = replace(q, state=state)
        return True

    async def hurry_letters(self, now: datetime) -> int:
        backing_off = [
            q
            for q in self.s.outbox.letters.values()
            if q.state == LetterState.PENDING and q.next_at > now and q.error != RATE_LIMITED
        ]
        for q in backing_off:
            self.s.outbox.letters[q.id] = replace(q, next_at=now)
        return len(backing_off)

    async def release_held(self, chat_id: int, now: datetime, keep: int) -> int:
        held = sorted(
            (q for q in self.s.outbox.letters.values() if q.letter.chat_id == chat_id),
            key=lambda q: -q.id,
        )
        held = [q for q in held if q.state == LetterState.HELD]
        for q in held[keep:]:
            self.s.outbox.letters[q.id] = replace(q, state=LetterState.EXPIRED)
        for q in held[:keep]:
            self.s.outbox.letters[q.id] = replace(q, state=LetterState.PENDING, next_at=now)
        return len(held[:keep])

    async def move_letters(self, old_chat_id: int, new_chat_id: int) -> int:
        moved = 0
        for i, q in list(self.s.outbox.letters.items()):
            if q.letter.chat_id == old_chat_id and q.state in (*WAITING, LetterState.HELD):
                self.s.outbox.letters[i] = replace(q, letter=replace(q.letter, chat_id=new_chat_id))
                moved += 1
        return moved

    async def resend_in_flight(self, now: datetime) -> int:
        sending = [q for q in self.s.outbox.letters.values() if q.state == LetterState.SENDING]
        for q in sending:
            self.s.outbox.letters[q.id] = replace(q, state=LetterState.PENDING, next_at=now)
        return len(sending)

    async def outbox_depth(self) -> OutboxDepth:
        events = [at for _, at, done in self.s.outbox.events.values() if done is None]
        letters = [q.created_at for q in self.s.outbox.letters.values() if q.state in WAITING]
        held = sum(1 for q in self.s.outbox.letters.values() if q.state == LetterState.HELD)
        return OutboxDepth(len(events), len(letters), held, min(events + letters, default=None))

    async def purge_outbox(self, before: datetime) -> int:
        old = [q for q in self.s.outbox.letters.values() if q.created_at < before]
        for q in old:
            del self.s.outbox.letters[q.id]
        unrelayed = 0
        for i, (_, at, done) in list(self.s.outbox.events.items()):
            if at < before:
                unrelayed += done is None
                del self.s.outbox.events[i]
        return unrelayed + sum(1 for q in old if q.state in (*WAITING, LetterState.HELD))
