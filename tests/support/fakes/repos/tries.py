"""The counted-tries part of the in-memory store (core.ports.tries.TriesTx) over plain dicts."""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta

from core.domain.model import Order, OrderId, OrderState, PayerAuth
from core.domain.tries import GuessWindow, TryCounters


@dataclass
class TriesState:
    order_of: dict[str, OrderId] = field(default_factory=dict)  # subject -> its order
    last_try: dict[str, datetime] = field(default_factory=dict)
    pending: dict[str, tuple[str, datetime]] = field(default_factory=dict)  # id -> subject, at
    guesses: dict[str, GuessWindow] = field(default_factory=dict)


class InMemoryTriesTx:
    """Mixed into InMemoryTx (tests.support.fakes.store): `payers` and `tries_state` come
    from there; the
    store runs one transaction at a time, so a subject is always 'locked'."""

    payers: dict[str, PayerAuth]
    tries_state: TriesState
    all_orders: dict[str, Order]

    async def lock_tries(
        self, subject: str, now: datetime, ttl_s: int, order_id: OrderId | None = None
    ) -> TryCounters:
        state = self.tries_state
        auth = self.payers.setdefault(subject, PayerAuth(subject, None, 0, 0, None))
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
        self.tries_state.pending[try_id] = (subject, now)
        self.tries_state.last_try[subject] = now

    async def drop_pending_try(self, subject: str, try_id: str) -> None:
        found = self.tries_state.pending.get(try_id)
        if found is not None and found[0] == subject:
            del self.tries_state.pending[try_id]

    async def set_tries(self, subject: str, tries: TryCounters, now: datetime) -> None:
        auth = self.payers[subject]
        self.payers[subject] = replace(
            auth, failures=tries.failures, lockouts=tries.lockouts, locked_until=tries.locked_until
        )
        if tries.last_try_at is None:
            self.tries_state.last_try.pop(subject, None)
        else:
            self.tries_state.last_try[subject] = tries.last_try_at

    async def guess_window(self, order_id: OrderId) -> GuessWindow | None:
        return self.tries_state.guesses.get(order_id)

    async def count_guess(self, order_id: OrderId, now: datetime, window_s: int) -> GuessWindow:
        found = self.tries_state.guesses.get(order_id)
        if found is None or found.started_at <= now - timedelta(seconds=window_s):
            counted = GuessWindow(now, 1, None)
        else:
            counted = replace(found, failures=found.failures + 1)
        self.tries_state.guesses[order_id] = counted
        return counted

    async def mark_under_attack(self, order_id: OrderId, now: datetime, ceiling: int) -> bool:
        found = self.tries_state.guesses.get(order_id)
        if found is None or found.attacked_at is not None or found.failures < ceiling:
            return False
        self.tries_state.guesses[order_id] = replace(found, attacked_at=now)
        return True

    async def locked_sources(self, order_id: OrderId, now: datetime) -> int:
        return sum(
            1
            for subject, order in self.tries_state.order_of.items()
            if order == order_id
            and (until := self.payers[subject].locked_until) is not None
            and until > now
        )

    async def forget_tries(self, stale_before: datetime, limit: int) -> int:
        state = self.tries_state
        stale = [i for i, (_, at) in state.pending.items() if at < stale_before][:limit]
        for try_id in stale:
            del state.pending[try_id]
        ended = {o.id for o in self.all_orders.values() if o.state != OrderState.OPEN}
        gone = [s for s, order in state.order_of.items() if order in ended][:limit]
        for subject in gone:
            del state.order_of[subject]
            state.last_try.pop(subject, None)
            self.payers.pop(subject, None)
        windows = [o for o in state.guesses if o in ended][:limit]
        for order_id in windows:
            del state.guesses[order_id]
        return len(stale) + len(gone) + len(windows)

    async def clear_guesses(self, order_id: OrderId) -> int:
        state = self.tries_state
        mine = [s for s, order in state.order_of.items() if order == order_id]
        for subject in mine:
            del state.order_of[subject]
            state.last_try.pop(subject, None)
            self.payers.pop(subject, None)
        state.guesses.pop(order_id, None)
        return len(mine)
