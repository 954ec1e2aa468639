"""The one way a try at a secret is counted: taken, checked and resolved on every path; and
the payee's view of the guesses at an order's password, with the way to clear them."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable, Coroutine
from datetime import datetime
from typing import Any, TypeVar

from core.domain.errors import LockedOut, NotFound
from core.domain.events import PasswordUnderAttack
from core.domain.model import Order, OrderId, PayeeId
from core.domain.tries import (
    TRY_TTL_S,
    Ceiling,
    Failed,
    PasswordLocks,
    TryRules,
    Wrong,
    after_failure,
    after_right,
    locked_out,
    refusal,
    tries_left,
)
from core.ports.store import Tx
from core.usecases.deps import UseCases

log = logging.getLogger(__name__)

T = TypeVar("T")
R = TypeVar("R")


class Tries(UseCases):
    """Counted tries at any secret, and the locks on an order's password."""

    async def guarded_try(
        self, rules: TryRules, check: Callable[[], Awaitable[T | Wrong]]
    ) -> T | Failed:
        """Take a try, run `check`, resolve the try; LockedOut if no try may be taken now.

        `check` answers the right secret's value, or a Wrong. Whatever it raises (text that
        cannot be hashed, a store that fails, a cancellation) gives the try back and is
        raised again. The try is taken before the check, under the subject's row lock, so
        parallel guesses get no more checks than the limit; each resolution runs to its end
        even if the caller is cancelled meanwhile, and a try left hanging by a crash stops
        counting after TRY_TTL_S.
        """
        try_id = self._d.ids.new_id("try")
        try:
            refused = await self._take(rules, try_id)
        except asyncio.CancelledError:
            # Perhaps after its commit. An exception rolled it back instead (or, if the
            # commit's answer was lost, the try lapses after TRY_TTL_S).
            await _finish(self._give_back(rules, try_id))
            raise
        if refused is not None:
            raise refused
        try:
            answer = await check()
        except BaseException:
            await _finish(self._give_back(rules, try_id))
            raise
        if isinstance(answer, Wrong):
            return await _finish(self._failed(rules, try_id, answer))
        await _finish(self._right(rules, try_id))
        return answer

    async def _take(self, rules: TryRules, try_id: str) -> LockedOut | None:
        d, now = self._d, self._d.clock.now()
        ceiling = rules.ceiling
        order_id = ceiling.order_id if ceiling is not None else None
        async with d.store.transaction() as tx:
            tries = await tx.tries.lock_tries(rules.subject, now, TRY_TTL_S, order_id)
            window = await tx.tries.guess_window(order_id) if order_id is not None else None
            refused = refusal(rules, tries, window, now)
            if refused is None:
                await tx.tries.add_pending_try(rules.subject, try_id, now)
        return refused

    async def _right(self, rules: TryRules, try_id: str) -> None:
        d, now = self._d, self._d.clock.now()
        async with d.store.transaction() as tx:
            tries = await tx.tries.lock_tries(rules.subject, now, TRY_TTL_S, _order_of(rules))
            await tx.tries.drop_pending_try(rules.subject, try_id)
            await tx.tries.set_tries(rules.subject, after_right(rules, tries), now)

    async def _failed(self, rules: TryRules, try_id: str, wrong: Wrong) -> Failed:
        d, now = self._d, self._d.clock.now()
        alarm: PasswordUnderAttack | None = None
        async with d.store.transaction() as tx:
            tries = await tx.tries.lock_tries(rules.subject, now, TRY_TTL_S, _order_of(rules))
            await tx.tries.drop_pending_try(rules.subject, try_id)
            attacked = False
            if rules.ceiling is not None:
                attacked, alarm = await _count_guess(tx, rules.ceiling, now)
            after = after_failure(rules, tries, now, attacked=attacked)
            await tx.tries.set_tries(rules.subject, after, now)
            if alarm is not None:
                await tx.outbox.add_events([alarm], now)
        if alarm is not None:
            log.warning("order %s: its password is under attack", alarm.order_id)
            await d.publish([alarm])
        locked = locked_out(after.locked_until, now, rules.what)
        return Failed(wrong.error, tries_left(rules, after, now), locked)

    async def _give_back(self, rules: TryRules, try_id: str) -> None:
        """The check raised: its try is no failure. If even this fails (the store is down),
        the try lapses after TRY_TTL_S; the check's own exception is the one raised."""
        try:
            async with self._d.store.transaction() as tx:
                await tx.tries.drop_pending_try(rules.subject, try_id)
        except Exception as exc:
            log.warning(
                "try %s not given back (it lapses by itself): %s", try_id, type(exc).__name__
            )

    async def password_locks(self, order_id: str, payee_id: PayeeId) -> PasswordLocks:
        """The guesses at the payee's own order's password; another's order is NotFound."""
        d, now = self._d, self._d.clock.now()
        async with d.store.transaction() as tx:
            order = await _own_order(tx, order_id, payee_id)
            window = await tx.tries.guess_window(order.id)
            locked = await tx.tries.locked_sources(order.id, now)
        ceiling = Ceiling(order.id)
        if window is None or not window.current(ceiling, now):
            return PasswordLocks(0, locked, None)
        since = window.attacked_at if window.under_attack(ceiling, now) else None
        return PasswordLocks(window.failures, locked, since)

    async def clear_password_locks(self, order_id: str, payee_id: PayeeId) -> int:
        """Forget every source's wrong tries at the payee's order's password and end the
        attack (a new one is told again); how many sources were forgotten."""
        async with self._d.store.transaction() as tx:
            order = await _own_order(tx, order_id, payee_id)
            cleared = await tx.tries.clear_guesses(order.id)
        log.info("order %s: password locks cleared (%d sources)", order.id, cleared)
        return cleared


def _order_of(rules: TryRules) -> OrderId | None:
    return rules.ceiling.order_id if rules.ceiling is not None else None


async def _count_guess(
    tx: Tx, ceiling: Ceiling, now: datetime
) -> tuple[bool, PasswordUnderAttack | None]:
    """Count a wrong password for the whole order: whether the order is under attack now,
    and the alarm if this one reached the ceiling (one caller per window wins the
    conditional update, however many count at once)."""
    window = await tx.tries.count_guess(ceiling.order_id, now, ceiling.window_s)
    if window.failures < ceiling.failures:
        return False, None
    if not await tx.tries.mark_under_attack(ceiling.order_id, now, ceiling.failures):
        return True, None
    return True, PasswordUnderAttack(ceiling.order_id, now, window.failures, window.started_at)


async def _own_order(tx: Tx, order_id: str, payee_id: PayeeId) -> Order:
    order = await tx.orders.get_order(OrderId(order_id))
    if order is None or order.payee_id != payee_id:
        raise NotFound("no such order")
    return order


async def _finish(work: Coroutine[Any, Any, R]) -> R:
    """Run `work` to its end even if the caller is cancelled meanwhile (the cancellation is
    raised once it is done): a try is resolved on every path."""
    task = asyncio.ensure_future(work)
    cancelled: asyncio.CancelledError | None = None
    while not task.done():
        try:
            await asyncio.wait({task})
        except asyncio.CancelledError as exc:
            cancelled = exc
    if cancelled is not None:
        raise cancelled
    return task.result()
