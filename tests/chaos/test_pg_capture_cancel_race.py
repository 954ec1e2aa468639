"""Regressions (PostgreSQL): a payee's cancel racing a capture never keeps the money.

Both found by the SIGKILL run on PostgreSQL (`make chaos`), where a payee cancels a
completed mode-`all` order while its captures are under way. Under READ COMMITTED a
transaction can read a payment just before another one moves it; its conditional update
then matches nothing.

1. The gateway's `payment.captured` webhook read the payment as capture_pending, the cancel
   made it void_pending, and the webhook was ignored: the void was refused for good (the
   money was captured), and the payment stayed void_pending for ever, never refunded.
2. The cancel read the payment as capture_pending, the capture was confirmed meanwhile, and
   the cancel skipped it ("a concurrent confirmation moved it"): the cancelled order kept
   one captured payment, never refunded.

The interleavings are forced with a proxy Tx that pauses one transaction after a read.
"""

from __future__ import annotations

import asyncio
import contextvars
import copy
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import pytest

from core.domain.errors import GatewayFinal, GatewayRetryable
from core.domain.model import OrderId, OrderState, PaymentStatus
from core.ports.store import GatewayEventKind
from core.usecases.deps import Outcome
from storage.db import make_engine
from storage.store import SqlStore
from tests.support.harness import build_rig, request
from tests.support.sealing import sealer_for_tests

ROLE: contextvars.ContextVar[str] = contextvars.ContextVar("role", default="")


class _GatedPayments:
    """A transaction's payments repository whose reads pause where the store says."""

    def __init__(self, inner: Any, store: _GatedStore) -> None:
        self._inner = inner
        self._store = store

    def __getattr__(self, name: str) -> Any:
        return getattr(self._inner, name)

    async def get_payment(self, gateway: str, payment_ref: str) -> Any:
        found = await self._inner.get_payment(gateway, payment_ref)
        await self._store.pause("webhook")
        return found

    async def payments_of_order(self, order_id: str) -> Any:
        found = await self._inner.payments_of_order(order_id)
        await self._store.pause("cancel")
        return found


class _GatedStore:
    """Pauses the first read of the transaction running as `role`, until `resume` is set."""

    def __init__(self, inner: SqlStore, role: str) -> None:
        self.inner = inner
        self.role = role
        self.read = asyncio.Event()
        self.resume = asyncio.Event()

    async def pause(self, role: str) -> None:
        if ROLE.get() == role == self.role and not self.read.is_set():
            self.read.set()
            await asyncio.wait_for(self.resume.wait(), timeout=10)

    @asynccontextmanager
    async def transaction(self) -> AsyncIterator[Any]:
        async with self.inner.transaction() as tx:
            gated: Any = copy.copy(tx)  # the same repositories, but for payments
            gated.payments = _GatedPayments(tx.payments, self)
            yield gated


async def _completed_with_capture_pending(pg_url: str, engine: Any, role: str) -> Any:
    """A mode-all order of one part, complete, its capture's answer lost: capture_pending."""
    store = _GatedStore(SqlStore(engine, sealer_for_tests()), role)
    rig = build_rig(store)
    payee = await rig.payee()
    view = await rig.engine.create_order(payee, request(total="20", payers=1, mode="all"))
    held = await rig.engine.reserve(view.order.token, "a", source="a")
    assert held.sub.checkout_ref
    rig.gateway.fail_next = [GatewayRetryable("timeout")]
    await rig.engine.apply_event(rig.gateway.pay(held.sub.checkout_ref))
    return store, rig, payee, view.order.id, held.sub.checkout_ref


async def _final(store: _GatedStore, order_id: OrderId) -> tuple[Any, Any]:
    async with store.inner.transaction() as tx:
        (payment,) = await tx.payments.payments_of_order(order_id)
        order = await tx.orders.get_order(order_id)
    return payment, order


@pytest.mark.postgres
async def test_a_capture_confirmed_while_the_payee_cancels_is_refunded(pg_url: str) -> None:
    engine = make_engine(pg_url)
    try:
        store, rig, payee, order_id, checkout = await _completed_with_capture_pending(
            pg_url, engine, "webhook"
        )
        captured = rig.gateway.event(checkout, GatewayEventKind.CAPTURED)

        async def webhook() -> Outcome:
            ROLE.set("webhook")
            outcome: Outcome = await rig.engine.apply_event(captured)
            return outcome

        async def cancel() -> None:
            await asyncio.wait_for(store.read.wait(), timeout=10)
            # The gateway refuses the void: the money is captured, not held.
            rig.gateway.fail_next = [GatewayFinal("cannot void payment: it is captured")]
            await rig.engine.cancel_order(order_id, payee)
            store.resume.set()

        outcome, _ = await asyncio.gather(webhook(), cancel())
        await rig.engine.tick()

        payment, order = await _final(store, order_id)
        assert order.state == OrderState.CANCELLED
        assert outcome == Outcome.APPLIED
        assert payment.status == PaymentStatus.REFUNDED
        assert rig.gateway.done("refund") == [captured.payment_ref]
    finally:
        await engine.dispose()


@pytest.mark.postgres
async def test_a_cancel_racing_a_capture_confirmation_still_refunds_it(pg_url: str) -> None:
    engine = make_engine(pg_url)
    try:
        store, rig, payee, order_id, _ = await _completed_with_capture_pending(
            pg_url, engine, "cancel"
        )

        async def cancel() -> None:
            ROLE.set("cancel")
            await rig.engine.cancel_order(order_id, payee)

        async def capture() -> None:
            await asyncio.wait_for(store.read.wait(), timeout=10)
            rig.clock.advance(seconds=10)  # past the failed capture's backoff
            await rig.engine.drive_pending()  # the capture goes through and is recorded
            store.resume.set()

        await asyncio.gather(cancel(), capture())
        await rig.engine.tick()

        payment, order = await _final(store, order_id)
        assert order.state == OrderState.CANCELLED
        assert payment.status == PaymentStatus.REFUNDED
        assert order.refunded_minor == order.paid_minor
        assert rig.gateway.done("refund") == [payment.payment_ref]
    finally:
        await engine.dispose()
