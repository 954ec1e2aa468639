"""Work driven by time: expiries, lapsed holds, pending gateway calls and reconciliation."""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import datetime, timedelta

from core.domain.events import HoldReleased
from core.domain.holds import HOLD_WINDOW_S
from core.domain.model import CheckoutRef, OrderState, Payment
from core.domain.tries import TRY_TTL_S
from core.usecases.deps import Deps, Outcome, UseCases
from core.usecases.payments.close import Aftermath, close
from core.usecases.payments.gateway_calls import GatewayCalls

log = logging.getLogger(__name__)

MAX_BACKOFF_S = 600


@dataclass(frozen=True, slots=True)
class TickReport:
    expired: int
    released: int
    driven: int


def backoff(attempts: int) -> timedelta:
    """How long a failing gateway call waits before its next try: 2, 4, 8 … 600 s."""
    return timedelta(seconds=min(2**attempts, MAX_BACKOFF_S))


class Upkeep(UseCases):
    """The periodic work: expire orders, release lapsed holds, drive payments, reconcile."""

    def __init__(self, deps: Deps, calls: GatewayCalls) -> None:
        super().__init__(deps)
        self._calls = calls

    async def tick(self) -> TickReport:
        """One pass of time-driven work; each part runs even if another one fails."""
        expired = await _guarded("expire", self.expire_due)
        released = await _guarded("release holds", self.release_lapsed_holds)
        driven = await _guarded("drive payments", self.drive_pending)
        await _guarded("forget hold windows", self.forget_hold_takes)
        await _guarded("forget tries", self.forget_tries)
        return TickReport(expired, released, driven)

    async def expire_due(self) -> int:
        """Close orders whose valid time has passed; mode `all` voids what it authorised."""
        d = self._d
        now = d.clock.now()
        async with d.store.transaction() as tx:
            due = await tx.orders.due_orders(now, d.config.batch)
        count = 0
        for order in due:
            out = Aftermath()
            try:
                async with out.transaction(d.store, now) as tx:
                    done = await close(tx, order, (OrderState.OPEN,), OrderState.EXPIRED, now, out)
            except Exception:
                log.exception("order %s: expiry failed; retrying next pass", order.id)
                continue
            await self._calls.after(out)
            count += int(done)
        return count

    async def release_lapsed_holds(self) -> int:
        """Reservations not paid within their hold go back to `available`.

        A hold with a checkout is first closed at the gateway and looked up there: a
        payment made at the last second whose webhook was lost is counted, not dropped.
        """
        d = self._d
        now = d.clock.now()
        async with d.store.transaction() as tx:
            lapsed = await tx.sub_orders.lapsed_holds(now, d.config.batch)
        released = 0
        for sub in lapsed:
            checkout = sub.checkout()
            if checkout and not await self._settle_before_release(checkout):
                continue
            lapsed_event = HoldReleased(sub.order_id, now, sub.id, sub.payer_ref or "")
            async with d.store.transaction() as tx:
                if not await tx.sub_orders.release_hold(sub.id, sub.hold_seq):
                    continue
                await tx.outbox.add_events([lapsed_event], now)
            released += 1
            await d.publish([lapsed_event])
        return released

    async def _settle_before_release(self, checkout: CheckoutRef) -> bool:
        """True when the hold may be released: its checkout is closed and was not paid."""
        if not await self._calls.cancel_checkout(checkout):
            return False  # the gateway did not answer: keep the hold, ask again next pass
        # A payment found now is applied (counted, or refunded if it cannot count); the
        # conditional release then does nothing to a part that became paid.
        return await self._calls.lookup(checkout) is not None

    async def forget_hold_takes(self) -> int:
        """Drop the per-source counts of new holds (core.domain.holds) whose window has passed."""
        d = self._d
        before = d.clock.now() - timedelta(seconds=HOLD_WINDOW_S)
        async with d.store.transaction() as tx:
            return await tx.holds.forget_hold_takes(before)

    async def forget_tries(self) -> int:
        """Drop pending tries that lapsed, and the password counters of ended orders."""
        d = self._d
        before = d.clock.now() - timedelta(seconds=TRY_TTL_S)
        async with d.store.transaction() as tx:
            return await tx.tries.forget_tries(before, d.config.batch)

    async def drive_pending(self) -> int:
        """Retry captures, refunds and voids that have not gone through yet, with backoff."""
        d = self._d
        now = d.clock.now()
        async with d.store.transaction() as tx:
            pending = await tx.payments.pending_payments(d.config.batch)
        done = 0
        for payment in pending:
            if _waiting(payment, now):
                continue
            done += int(await self._calls.drive(payment))
        return done

    async def reconcile(self) -> int:
        """Ask the gateway about every checkout that may take money, so a lost webhook cannot
        lose a payment: those of reserved parts, and loose ones (declined, or their order
        closed) until the gateway confirmed them closed.

        Returns how many checkouts had news the webhooks had not brought.
        """
        d = self._d
        async with d.store.transaction() as tx:
            in_flight = await tx.sub_orders.in_flight_checkouts(d.config.batch)
            loose = await tx.checkouts.loose_checkouts(d.config.batch)
        news = 0
        for sub in in_flight:
            checkout = sub.checkout()
            outcome = await self._calls.lookup(checkout) if checkout else None
            news += int(outcome in (Outcome.APPLIED, Outcome.REFUNDING))
        for checkout in loose:
            outcome = await self._calls.close_checkout(checkout)
            if outcome is None:
                async with d.store.transaction() as tx:
                    await tx.checkouts.touch_loose_checkout(checkout, d.clock.now())
            news += int(outcome in (Outcome.APPLIED, Outcome.REFUNDING))
        await self.drive_pending()
        return news


def _waiting(p: Payment, now: datetime) -> bool:
    return p.attempts > 0 and p.updated_at + backoff(p.attempts) > now


async def _guarded(name: str, job: Callable[[], Awaitable[int]]) -> int:
    try:
        return await job()
    except Exception:
        log.exception("%s pass failed; retrying next tick", name)
        return 0
