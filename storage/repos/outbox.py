"""SQL for the outbox (core.domain.outbox): event rows and letters, their bodies sealed."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

import sqlalchemy as sa

from core.domain.events import DomainEvent
from core.domain.outbox import (
    RATE_LIMITED,
    WAITING,
    Letter,
    LetterState,
    OutboxDepth,
    QueuedEvent,
    QueuedLetter,
    event_body,
    event_of,
    letter_of,
)
from storage.rows import Conn, TxBase, aware
from storage.tables import outbox_events, outbox_letters

_E = outbox_events.c
_L = outbox_letters.c
_WAITING = [s.value for s in WAITING]
# The partial index's own predicate, as text: with bound values the planner cannot use it.
_IS_WAITING = sa.text("outbox_letters.state IN ('pending', 'sending')")
_FINISHED = (LetterState.SENT, LetterState.FAILED, LetterState.EXPIRED, LetterState.HELD)
# The first waiting letter of each chat: a chat's letters go one at a time, in order.
_HEADS = sa.select(sa.func.min(_L.id)).where(_IS_WAITING).group_by(_L.chat_key)


def _group_id(chat_key: str) -> int | None:
    """A group's id from its key; None for a person's (their id is in the sealed body)."""
    return int(chat_key) if chat_key.startswith("-") else None


class OutboxSql(TxBase):
    """The outbox inside one transaction."""

    def _chat_key(self, chat_id: int) -> str:
        """A group by its id (negative, not personal); a person by the blind index of their
        payer reference, so no Telegram user id is stored in the clear."""
        return str(chat_id) if chat_id < 0 else self._sealer.index(f"tg:{chat_id}")

    async def add_events(self, events: Sequence[DomainEvent], now: datetime) -> None:
        if not events:
            return
        rows = [
            {
                "order_id": e.order_id,
                "kind": type(e).__name__,
                "body_sealed": self._sealer.seal(event_body(e)),
                "created_at": now,
            }
            for e in events
        ]
        await self._conn.execute(sa.insert(outbox_events), rows)

    async def due_events(self, limit: int) -> list[QueuedEvent]:
        stmt = sa.select(_E.id, _E.kind, _E.body_sealed).where(_E.done_at.is_(None))
        found = await self._conn.execute(stmt.order_by(_E.id).limit(limit))
        return [
            QueuedEvent(int(r.id), r.kind, event_of(r.kind, self._sealer.open(r.body_sealed)))
            for r in found
        ]

    async def finish_event(self, event_id: int, letters: Sequence[Letter], now: datetime) -> bool:
        stmt = (
            sa.update(outbox_events)
            .where(_E.id == event_id, _E.done_at.is_(None))
            .values(done_at=now)
        )
        if (await self._conn.execute(stmt)).rowcount != 1:
            return False
        await self.add_letters(letters, now)
        return True

    async def add_letters(self, letters: Sequence[Letter], now: datetime) -> None:
        if not letters:
            return
        rows = [
            {
                "chat_key": self._chat_key(letter.chat_id),
                "kind": letter.kind,
                "body_sealed": self._sealer.seal(letter.body()),
                "state": LetterState.PENDING.value,
                "tries": 0,
                "next_at": now,
                "created_at": now,
            }
            for letter in letters
        ]
        await self._conn.execute(sa.insert(outbox_letters), rows)

    async def due_letters(self, now: datetime, limit: int) -> list[QueuedLetter]:
        stmt = (
            sa.select(outbox_letters)
            .where(_L.id.in_(_HEADS), _L.next_at <= now)
            .order_by(_L.id)
            .limit(limit)
        )
        return [self._letter(r) for r in (await self._conn.execute(stmt)).mappings()]

    def _letter(self, row: Any) -> QueuedLetter:
        body = self._sealer.open(row["body_sealed"])
        return QueuedLetter(
            id=int(row["id"]),
            letter=letter_of(row["kind"], body, _group_id(row["chat_key"])),
            state=LetterState(row["state"]),
            tries=int(row["tries"]),
            next_at=aware(row["next_at"]),
            created_at=aware(row["created_at"]),
            error=row["error"],
        )

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
        values: dict[str, Any] = {"state": state.value}
        if next_at is not None:
            values.update(next_at=next_at, tries=_L.tries + 1)
        if error is not None:
            values["error"] = error[:200]
        if state in _FINISHED:
            values["done_at"] = now
        stmt = (
            sa.update(outbox_letters)
            .where(_L.id == letter_id, _L.state.in_([w.value for w in was]))
            .values(**values)
        )
        return (await self._conn.execute(stmt)).rowcount == 1

    async def hurry_letters(self, now: datetime) -> int:
        stmt = (
            sa.update(outbox_letters)
            .where(
                _L.state == LetterState.PENDING.value,
                _L.next_at > now,
                sa.or_(_L.error.is_(None), _L.error != RATE_LIMITED),
            )
            .values(next_at=now)
        )
        return int((await self._conn.execute(stmt)).rowcount)

    async def release_held(self, chat_id: int, now: datetime, keep: int) -> int:
        held = _L.state == LetterState.HELD.value
        found = await self._conn.execute(
            sa.select(_L.id)
            .where(_L.chat_key == self._chat_key(chat_id), held)
            .order_by(_L.id.desc())
        )
        ids = [int(r.id) for r in found]
        kept, dropped = ids[:keep], ids[keep:]
        if dropped:
            await self._conn.execute(
                sa.update(outbox_letters)
                .where(_L.id.in_(dropped), held)
                .values(state=LetterState.EXPIRED.value, done_at=now, error="held too long")
            )
        if kept:
            await self._conn.execute(
                sa.update(outbox_letters)
                .where(_L.id.in_(kept), held)
                .values(state=LetterState.PENDING.value, next_at=now, done_at=None)
            )
        return len(kept)

    async def move_letters(self, old_chat_id: int, new_chat_id: int) -> int:
        stmt = (
            sa.update(outbox_letters)
            .where(
                _L.chat_key == self._chat_key(old_chat_id),
                _L.state.in_([*_WAITING, LetterState.HELD.value]),
            )
            .values(chat_key=self._chat_key(new_chat_id))
        )
        return int((await self._conn.execute(stmt)).rowcount)

    async def resend_in_flight(self, now: datetime) -> int:
        stmt = (
            sa.update(outbox_letters)
            .where(_L.state == LetterState.SENDING.value)
            .values(state=LetterState.PENDING.value, next_at=now)
        )
        return int((await self._conn.execute(stmt)).rowcount)

    async def outbox_depth(self) -> OutboxDepth:
        return await outbox_depth(self._conn)

    async def purge_outbox(self, before: datetime) -> int:
        kept = [*_WAITING, LetterState.HELD.value]
        unsent = (
            await self._conn.execute(
                sa.select(sa.func.count()).where(_L.created_at < before, _L.state.in_(kept))
            )
        ).scalar_one()
        unrelayed = (
            await self._conn.execute(
                sa.select(sa.func.count()).where(_E.created_at < before, _E.done_at.is_(None))
            )
        ).scalar_one()
        await self._conn.execute(sa.delete(outbox_letters).where(_L.created_at < before))
        await self._conn.execute(sa.delete(outbox_events).where(_E.created_at < before))
        return int(unsent) + int(unrelayed)


async def outbox_depth(conn: Conn) -> OutboxDepth:
    """The outbox's depth, read alone: needs no key (`chipin status` reads it so)."""
    events = (
        await conn.execute(
            sa.select(sa.func.count(), sa.func.min(_E.created_at)).where(_E.done_at.is_(None))
        )
    ).one()
    letters = (
        await conn.execute(
            sa.select(sa.func.count(), sa.func.min(_L.created_at)).where(_IS_WAITING)
        )
    ).one()
    held = (
        await conn.execute(sa.select(sa.func.count()).where(_L.state == LetterState.HELD.value))
    ).scalar_one()
    oldest = [aware(at) for at in (events[1], letters[1]) if at is not None]
    return OutboxDepth(int(events[0]), int(letters[0]), int(held), min(oldest, default=None))
