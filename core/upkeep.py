"""Work driven by time: expiries, lapsed holds, pending gateway calls and reconciliation."""

from __future__ import annotations

import logging
from dataclasses import dataclass

from core.base import UseCases
from core.closing import Aftermath, close
from core.deps import Outcome
from core.errors import GatewayError
from core.events import HoldReleased
from core.model import OrderState, SubOrder
from core.ports import CheckoutStatus, GatewayEvent, GatewayEventKind

log = logging.getLogger(__name__)

_STATUS_KIND = {
    CheckoutStatus.SUCCEEDED: GatewayEventKind.SUCCEEDED,
    CheckoutStatus.AUTHORISED: GatewayEventKind.AUTHORISED,
    CheckoutStatus.FAILED: GatewayEventKind.FAILED,
}


@dataclass(frozen=True, slots=True)
class TickReport:
    expired: int
    released: int
    driven: int


class Upkeep(UseCases):
    async def tick(self) -> TickReport:
        """One pass of time-driven work; safe to run concurrently with everything else."""
        expired = await self.expire_due()
        released = await self.release_lapsed_holds()
        driven = await self.drive_pending()
        return TickReport(expired, released, driven)

    async def expire_due(self) -> int:
        """Close orders whose valid time has passed; mode `all` voids what it authorised."""
        d = self._d
        now = d.clock.now()
        async with d.store.transaction() as tx:
            due = await tx.due_orders(now, d.config.batch)
        count = 0
        for order in due:
            out = Aftermath()
            async with d.store.transaction() as tx:
                done = await close(tx, order, (OrderState.OPEN,), OrderState.EXPIRED, now, out)
            await self._after(out)
            count += int(done)
        return count

    async def release_lapsed_holds(self) -> int:
        """Reservations not paid within their hold go back to `available`."""
        d = self._d
        now = d.clock.now()
        async with d.store.transaction() as tx:
            lapsed = await tx.lapsed_holds(now, d.config.batch)
        released: list[SubOrder] = []
        out = Aftermath()
        for sub in lapsed:
            async with d.store.transaction() as tx:
                if await tx.release_hold(sub.id, sub.hold_seq):
                    released.append(sub)
                    out.events.append(HoldReleased(sub.order_id, now, sub.id, sub.payer_ref or ""))
        out.cancel_checkouts.extend(s for s in released if s.checkout_ref)
        await self._after(out)
        return len(released)

    async def drive_pending(self) -> int:
        """Retry captures, refunds and voids that have not gone through yet."""
        async with self._d.store.transaction() as tx:
            pending = await tx.pending_payments(self._d.config.batch)
        done = 0
        for payment in pending:
            done += int(await self._drive(payment))
        return done

    async def reconcile(self) -> int:
        """Ask the gateway about every checkout in flight, so a lost webhook cannot lose a payment.

        Returns how many checkouts had news the webhooks had not brought.
        """
        d = self._d
        async with d.store.transaction() as tx:
            in_flight = await tx.in_flight_checkouts(d.config.batch)
        news = 0
        for sub in in_flight:
            news += int(await self._reconcile_one(sub))
        await self.drive_pending()
        return news

    async def _reconcile_one(self, sub: SubOrder) -> bool:
        gw = self._d.gateways.get(sub.gateway or "")
        if gw is None or sub.checkout_ref is None:
            return False
        try:
            state = await gw.retrieve(sub.checkout_ref)
        except GatewayError as exc:
            log.warning("reconcile %s: retrieve failed: %s", sub.id, type(exc).__name__)
            return False
        kind = _STATUS_KIND.get(state.status)
        if kind is None:
            return False
        event = GatewayEvent(
            gateway=gw.name,
            event_id=f"reconcile_{state.status}_{state.payment_ref or state.ref}",
            kind=kind,
            checkout_ref=state.ref,
            payment_ref=state.payment_ref or state.ref,
            amount_minor=state.amount_minor,
            currency=state.currency,
            sub_order_id=sub.id,
        )
        outcome = await self.apply_event(event)
        log.info("reconcile %s: checkout %s -> %s", sub.id, state.status, outcome)
        return outcome in (Outcome.APPLIED, Outcome.REFUNDING)
