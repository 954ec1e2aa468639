"""The gateway work left after a commit: captures, refunds and voids to drive, checkouts to
close and read back."""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable

from core.domain.errors import GatewayError, InvariantViolation, RefundByHand
from core.domain.model import CheckoutRef, Payment, PaymentStatus
from core.ports.store import CheckoutStatus, Gateway, GatewayEvent, GatewayEventKind
from core.usecases.deps import Deps, Outcome, UseCases
from core.usecases.payments.bookings import move_payment
from core.usecases.payments.close import Aftermath
from core.usecases.payments.refunds_owed import RefundsOwed

log = logging.getLogger(__name__)

_STATUS_KIND = {
    CheckoutStatus.SUCCEEDED: GatewayEventKind.SUCCEEDED,
    CheckoutStatus.AUTHORISED: GatewayEventKind.AUTHORISED,
    CheckoutStatus.FAILED: GatewayEventKind.FAILED,
}

_DONE = {
    PaymentStatus.CAPTURE_PENDING: PaymentStatus.CAPTURED,
    PaymentStatus.REFUND_PENDING: PaymentStatus.REFUNDED,
    PaymentStatus.VOID_PENDING: PaymentStatus.VOIDED,
}


class GatewayCalls(UseCases):
    """Makes the gateway calls a committed transaction decided on; `settle` applies what a
    gateway reports back (the engine's apply_event)."""

    def __init__(
        self,
        deps: Deps,
        refunds_owed: RefundsOwed,
        settle: Callable[[GatewayEvent], Awaitable[Outcome]],
    ) -> None:
        super().__init__(deps)
        self._refunds_owed = refunds_owed
        self._settle = settle

    async def after(self, out: Aftermath) -> None:
        """After a commit: make the gateway calls it decided on, then tell the notifier."""
        for payment in out.drive:
            await self.drive(payment)
        for checkout in out.cancel_checkouts:
            await self.close_checkout(checkout)
        await self._d.publish(out.events)

    async def drive(self, p: Payment) -> bool:
        """Make the capture, refund or void a pending payment waits for; True when done.

        The idempotency key is derived from the payment id and its pending state, so a
        retry after a crash or a timeout cannot move money twice.
        """
        done = _DONE.get(p.status)
        if done is None:
            return True
        d = self._d
        gw = d.gateways.get(p.gateway)
        if gw is None:
            log.error("payment %s: gateway %s is not configured", p.id, p.gateway)
            return False
        try:
            if p.status == PaymentStatus.CAPTURE_PENDING:
                await gw.capture(p.payment_ref, p.action_key())
            elif p.status == PaymentStatus.REFUND_PENDING:
                await gw.refund(p.payment_ref, p.amount_minor, p.action_key())
            else:
                await gw.void(p.payment_ref, p.action_key())
        except RefundByHand as exc:
            if p.status != PaymentStatus.REFUND_PENDING:
                raise InvariantViolation(f"payment {p.id}: {p.status} refused as a refund") from exc
            await self._refunds_owed.refund_owed(p)  # retrying could never succeed
            return True
        except GatewayError as exc:
            level = logging.WARNING if exc.retryable else logging.ERROR
            log.log(level, "payment %s: %s failed: %s", p.id, p.status, type(exc).__name__)
            async with d.store.transaction() as tx:
                await tx.payments.note_payment_error(
                    p.id, f"{type(exc).__name__}: {exc}"[:200], d.clock.now()
                )
            if not exc.retryable and p.status != PaymentStatus.REFUND_PENDING:
                return await self._released(gw, p)
            return False
        async with d.store.transaction() as tx:
            await move_payment(tx, p, [p.status], done, d.clock.now())
        log.info("payment %s: %s -> %s", p.id, p.status, done)
        return True

    async def _released(self, gw: Gateway, p: Payment) -> bool:
        """After a capture or void was refused for good: did the gateway release the
        authorisation itself (voided outside, its webhook lost or overtaken)? If so, apply it.

        Retrying could never succeed, and the payment would stay pending for ever.
        """
        try:
            state = await gw.retrieve(p.checkout_ref)
        except GatewayError:
            return False
        if state.status != CheckoutStatus.CANCELLED:
            return False
        event = GatewayEvent(
            gateway=gw.name,
            event_id=f"reconcile_voided_{p.payment_ref}",
            kind=GatewayEventKind.VOIDED,
            checkout_ref=p.checkout_ref,
            payment_ref=p.payment_ref,
            amount_minor=p.amount_minor,
            currency=p.currency,
            sub_order_id=p.sub_order_id,
        )
        return await self._settle(event) == Outcome.APPLIED

    async def cancel_checkout(self, c: CheckoutRef) -> bool:
        """Stop a checkout nobody may pay now; True when the gateway confirmed it."""
        gw = self._d.gateways.get(c.gateway)
        if gw is None:  # switched off since: nobody can pay there through Chipin any more
            log.warning("checkout %s: gateway %s is not configured", c.ref, c.gateway)
            return True
        try:
            await gw.cancel_checkout(c.ref, c.cancel_key)
        except GatewayError as exc:
            log.warning("checkout %s: cancelling failed: %s", c.ref, type(exc).__name__)
            return False
        return True

    async def close_checkout(self, c: CheckoutRef) -> Outcome | None:
        """Close a loose checkout, then make sure it was not paid meanwhile.

        Money that got in before the cancel is applied like any late payment: refunded.
        Until both steps are done (None: not done) it stays loose, and reconciliation
        tries again; then the outcome of reading it back.
        """
        if not await self.cancel_checkout(c):
            return None
        outcome = await self.lookup(c)
        if outcome is not None:
            async with self._d.store.transaction() as tx:
                await tx.checkouts.drop_loose_checkout(c)
        return outcome

    async def lookup(self, c: CheckoutRef) -> Outcome | None:
        """Ask the gateway what became of a checkout and apply any news.

        None when the gateway did not answer; IGNORED when the checkout was not paid.
        """
        gw = self._d.gateways.get(c.gateway)
        if gw is None:
            return Outcome.IGNORED
        try:
            state = await gw.retrieve(c.ref)
        except GatewayError as exc:
            log.warning("checkout %s: retrieve failed: %s", c.ref, type(exc).__name__)
            return None
        kind = _STATUS_KIND.get(state.status)
        if kind is None:
            return Outcome.IGNORED
        event = GatewayEvent(
            gateway=gw.name,
            event_id=f"reconcile_{state.status}_{state.payment_ref or state.ref}",
            kind=kind,
            checkout_ref=state.ref,
            payment_ref=state.payment_ref or state.ref,
            amount_minor=state.amount_minor,
            currency=state.currency,
            sub_order_id=c.sub_order_id,
            payout_account=state.payout_account,
            fee_minor=state.fee_minor,
        )
        outcome = await self._settle(event)
        log.info("checkout %s at the gateway: %s -> %s", c.ref, state.status, outcome)
        return outcome
