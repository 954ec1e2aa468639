"""In-memory tries: the fake of storage.repos.tries, method for method, over plain dicts."""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime, timedelta

from core.domain.model import (
    OrderId,
    OrderState,
    PayerAuth,
)
from core.domain.tries import GuessWindow, TryCounters
from tests.support.fakes.state import MemoryRepo


class InMemoryTries(MemoryRepo):
    """Counted tries inside one transaction, over the in-memory state."""

    async def lock_tries(
        self, subject: str, now: datetime, ttl_s: int, order_id: OrderId | None = None
    ) -> TryCounters:
        state = self.s.tries
        auth = self.s.payers.setdefault(subject, PayerAuth(subject, None, 0, 0, None))
        if order_id is not None:
            state.order_of.setdefault(subject, order_id)
        cutoff = now - timedelta(seconds=ttl_s)
        for try_id, (who, at) in list(state.pending.items()):
            if who == subject and at <= cutoff:
                del state.pending[try_id]
        pending = sum(1 for who, _ in state.pending.values() if who == subject)
        last = state.last_try.get(subject)
        return TryCounters(auth.failures, auth.lockouts, auth.locked_until, last, pending)

    async def add_pending_try(self, subject: str, try_id: str, now: datetime) -> None:
        self.s.tries.pending[try_id] = (subject, now)
        self.s.tries.last_try[subject] = now

    async def drop_pending_try(self, subject: str, try_id: str) -> None:
        found = self.s.tries.pending.get(try_id)
        if found is not None and found[0] == subject:
            del self.s.tries.pending[try_id]

    async def set_tries(self, subject: str, tries: TryCounters, now: datetime) -> None:
        auth = self.s.payers[subject]
        self.s.payers[subject] = replace(
            auth, failures=tries.failures, lockouts=tries.lockouts, locked_until=tries.locked_until
        )
        if tries.last_try_at is None:
            self.s.tries.last_try.pop(subject, None)
        else:
            self.s.tries.last_try[subject] = tries.last_try_at

    async def guess_window(self, order_id: OrderId) -> GuessWindow | None:
        return self.s.tries.guesses.get(order_id)

    async def count_guess(self, order_id: OrderId, now: datetime, window_s: int) -> GuessWindow:
        found = self.s.tries.guesses.get(order_id)
        if found is None or found.started_at <= now - timedelta(seconds=window_s):
            counted = GuessWindow(now, 1, None)
        else:
            counted = replace(found, failures=found.failures + 1)
        self.s.tries.guesses[order_id] = counted
        return counted

    async def mark_under_attack(self, order_id: OrderId, now: datetime, ceiling: int) -> bool:
        found = self.s.tries.guesses.get(order_id)
        if found is None or found.attacked_at is not None or found.failures < ceiling:
            return False
        self.s.tries.guesses[order_id] = replace(found, attacked_at=now)
        return True

    async def locked_sources(self, order_id: OrderId, now: datetime) -> int:
        return sum(
            1
            for subject, order in self.s.tries.order_of.items()
            if order == order_id
            and (until := self.s.payers[subject].locked_until) is not None
            and until > now
        )

    async def forget_tries(self, stale_before: datetime, limit: int) -> int:
        state = self.s.tries
        stale = [i for i, (_, at) in state.pending.items() if at < stale_before][:limit]
        for try_id in stale:
            del state.pending[try_id]
        ended = {o.id for o in self.s.orders.values() if o.state != OrderState.OPEN}
        gone = [s for s, order in state.order_of.items() if order in ended][:limit]
        for subject in gone:
            del state.order_of[subject]
            state.last_try.pop(subject, None)
            self.s.payers.pop(subject, None)
        windows = [o for o in state.guesses if o in ended][:limit]
        for order_id in windows:
            del state.guesses[order_id]
        return len(stale) + len(gone) + len(windows)

    async def clear_guesses(self, order_id: OrderId) -> int:
        state = self.s.tries
        mine = [s for s, order in state.order_of.items() if order == order_id]
        for subject in mine:
            del state.order_of[subject]
            state.last_try.pop(subject, None)
            self.s.payers.pop(subject, None)
        state.guesses.pop(order_id, None)
        return len(mine)
