"""SQL for counted tries (core.ports.repos.tries): a subject's row locked while its tries are
counted, its pending tries, and the window of wrong passwords of each order.

A subject is keyed by its blind index, like a payer's password row (storage.repos.payers):
it is never read back. PostgreSQL locks the subject's row (SELECT ... FOR UPDATE) before
its pending tries are counted, so two parallel tries see each other; on SQLite every
transaction is the only writer already (storage.sqlite_loop).
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql, sqlite

from core.domain.errors import invariant
from core.domain.model import OrderId
from core.domain.tries import GuessWindow, TryCounters
from storage.repos.payers import auth_insert
from storage.rows import TxBase
from storage.tables import order_guesses, orders, payer_auth, pending_tries

_A = payer_auth.c
_P = pending_tries.c
_G = order_guesses.c


def _window(row: Any) -> GuessWindow:
    return GuessWindow(row["started_at"], row["failures"], row["attacked_at"])


class TriesSql(TxBase):
    """Counted tries inside one transaction."""

    async def lock_tries(
        self, subject: str, now: datetime, ttl_s: int, order_id: OrderId | None = None
    ) -> TryCounters:
        key = self._sealer.index(subject)
        fresh = {
            "payer_ref": subject,
            "failures": 0,
            "lockouts": 0,
            "updated_at": now,
            "order_id": order_id,
        }
        insert = auth_insert(self._sealer, self._dialect, fresh).on_conflict_do_nothing()
        await self._conn.execute(insert)
        row = await self._locked_counters(key)
        if row is None:  # its payee cleared it between the two statements: start it again
            await self._conn.execute(insert)
            row = await self._locked_counters(key)
        invariant(row is not None, "a counted try's row vanished while it was locked")
        cutoff = now - timedelta(seconds=ttl_s)
        await self._conn.execute(
            sa.delete(pending_tries).where(_P.subject == key, _P.taken_at <= cutoff)
        )
        pending = await self._conn.scalar(
            sa.select(sa.func.count()).select_from(pending_tries).where(_P.subject == key)
        )
        return TryCounters(
            row["failures"],
            row["lockouts"],
            row["locked_until"],
            row["last_try_at"],
            int(pending or 0),
        )

    async def _locked_counters(self, key: str) -> Any:
        counters = sa.select(_A.failures, _A.lockouts, _A.locked_until, _A.last_try_at)
        stmt = counters.where(_A.payer_ref == key).with_for_update()
        return (await self._conn.execute(stmt)).mappings().first()

    async def add_pending_try(self, subject: str, try_id: str, now: datetime) -> None:
        key = self._sealer.index(subject)
        await self._conn.execute(
            sa.insert(pending_tries).values(id=try_id, subject=key, taken_at=now)
        )
        await self._conn.execute(
            sa.update(payer_auth).where(_A.payer_ref == key).values(last_try_at=now)
        )

    async def drop_pending_try(self, subject: str, try_id: str) -> None:
        key = self._sealer.index(subject)
        await self._conn.execute(sa.delete(pending_tries).where(_P.id == try_id, _P.subject == key))

    async def set_tries(self, subject: str, tries: TryCounters, now: datetime) -> None:
        await self._conn.execute(
            sa.update(payer_auth)
            .where(_A.payer_ref == self._sealer.index(subject))
            .values(
                failures=tries.failures,
                lockouts=tries.lockouts,
                locked_until=tries.locked_until,
                last_try_at=tries.last_try_at,
                updated_at=now,
            )
        )

    async def guess_window(self, order_id: OrderId) -> GuessWindow | None:
        row = (
            (await self._conn.execute(sa.select(order_guesses).where(_G.order_id == order_id)))
            .mappings()
            .first()
        )
        return _window(row) if row is not None else None

    async def count_guess(self, order_id: OrderId, now: datetime, window_s: int) -> GuessWindow:
        dialect: Any = postgresql if self._dialect == "postgresql" else sqlite
        first = {"order_id": order_id, "started_at": now, "failures": 0}
        await self._conn.execute(
            dialect.insert(order_guesses).values(first).on_conflict_do_nothing()
        )
        # One statement: the window rolls over or counts on, whoever else counts at once
        # (every right-hand side reads the row as it was before this UPDATE).
        over = _G.started_at <= now - timedelta(seconds=window_s)
        stmt = (
            sa.update(order_guesses)
            .where(_G.order_id == order_id)
            .values(
                failures=sa.case((over, 1), else_=_G.failures + 1),
                attacked_at=sa.case((over, None), else_=_G.attacked_at),
                started_at=sa.case((over, now), else_=_G.started_at),
            )
            .returning(_G.started_at, _G.failures, _G.attacked_at)
        )
        return _window((await self._conn.execute(stmt)).mappings().one())

    async def mark_under_attack(self, order_id: OrderId, now: datetime, ceiling: int) -> bool:
        stmt = (
            sa.update(order_guesses)
            .where(_G.order_id == order_id, _G.attacked_at.is_(None), _G.failures >= ceiling)
            .values(attacked_at=now)
            .returning(_G.order_id)
        )
        return (await self._conn.execute(stmt)).first() is not None

    async def locked_sources(self, order_id: OrderId, now: datetime) -> int:
        count = sa.select(sa.func.count()).select_from(payer_auth)
        found = await self._conn.scalar(count.where(_A.order_id == order_id, _A.locked_until > now))
        return int(found or 0)

    async def forget_tries(self, stale_before: datetime, limit: int) -> int:
        stale = sa.select(_P.id).where(_P.taken_at < stale_before).limit(limit)
        gone = await self._conn.execute(sa.delete(pending_tries).where(_P.id.in_(stale)))
        ended = sa.exists().where(orders.c.id == _A.order_id, orders.c.state != "open")
        counters = sa.select(_A.payer_ref).where(_A.order_id.is_not(None), ended).limit(limit)
        sources = await self._conn.execute(sa.delete(payer_auth).where(_A.payer_ref.in_(counters)))
        over = sa.exists().where(orders.c.id == _G.order_id, orders.c.state != "open")
        windows = sa.select(_G.order_id).where(over).limit(limit)
        guesses = await self._conn.execute(sa.delete(order_guesses).where(_G.order_id.in_(windows)))
        return int(gone.rowcount + sources.rowcount + guesses.rowcount)

    async def clear_guesses(self, order_id: OrderId) -> int:
        # The rows are locked in one order first: two clears at once cannot deadlock.
        mine = sa.select(_A.payer_ref).where(_A.order_id == order_id).order_by(_A.payer_ref)
        keys = (await self._conn.execute(mine.with_for_update())).scalars().all()
        await self._conn.execute(sa.delete(payer_auth).where(_A.order_id == order_id))
        await self._conn.execute(sa.delete(order_guesses).where(_G.order_id == order_id))
        return len(keys)
