"""The repository of counted tries (core.domain.tries): a subject's row locked while its tries are
counted, its pending tries, and the window of wrong passwords of each order."""

from __future__ import annotations

from datetime import datetime
from typing import Protocol

from core.domain.model import (
    OrderId,
)
from core.domain.tries import GuessWindow, TryCounters


class TriesRepo(Protocol):
    """Tries inside one transaction: storage.repos.tries and its fake
    (tests.support.fakes.repos.tries) implement it method for method, in this order."""

    async def lock_tries(
        self, subject: str, now: datetime, ttl_s: int, order_id: OrderId | None = None
    ) -> TryCounters:
        """The subject's counters, its row locked until this transaction ends (created at zero,
        for `order_id`'s password when given, if it has none). Its pending tries taken ttl_s
        or more before `now` are forgotten first; `pending` counts the others."""
        ...

    async def add_pending_try(self, subject: str, try_id: str, now: datetime) -> None:
        """A try taken now and not yet resolved; the subject's last try is now."""
        ...

    async def drop_pending_try(self, subject: str, try_id: str) -> None:
        """The try is resolved (or given back); nothing if it was forgotten already."""
        ...

    async def set_tries(self, subject: str, tries: TryCounters, now: datetime) -> None:
        """Store failures, lockouts, locked_until and last_try_at of the locked row."""
        ...

    # the guesses at one order's password, from every source
    async def guess_window(self, order_id: OrderId) -> GuessWindow | None: ...

    async def count_guess(self, order_id: OrderId, now: datetime, window_s: int) -> GuessWindow:
        """One more wrong password, atomically; a window older than window_s starts anew."""
        ...

    async def mark_under_attack(self, order_id: OrderId, now: datetime, ceiling: int) -> bool:
        """Note the attack if the window reached `ceiling` and it was not noted yet: True for
        exactly one caller per window, however many count at once."""
        ...

    async def locked_sources(self, order_id: OrderId, now: datetime) -> int:
        """How many sources are locked out of the order's password now."""
        ...

    async def forget_tries(self, stale_before: datetime, limit: int) -> int:
        """Forget what no try can need again, at most `limit` rows of each kind: pending tries
        taken before `stale_before`, and the counters and windows of the passwords of orders
        that have ended (an ended order takes no try). How many rows went."""
        ...

    async def clear_guesses(self, order_id: OrderId) -> int:
        """Forget every source's counters and the window of the order's password; how many
        sources there were."""
        ...
