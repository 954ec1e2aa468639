"""Regression (fixed, PostgreSQL): webhook and reconciliation racing never refund a counted one.

settling._money_in reads get_payment (None in both transactions under READ COMMITTED),
both claim the sub-order; the second one's mark_sub_paid waits on the first's row lock and
then fails ("reservation no longer held"), so it builds a REFUND_PENDING payment whose
add_payment hits ON CONFLICT DO NOTHING -> False, a return value _money_in ignores. The
phantom payment is still put on out.drive, and base._drive refunds the real payment_ref at
the gateway, under a key for a payment id that was never stored. The payee loses a payment
that Chipin counted; the payer is told it came back as "late".

The interleaving is forced with a proxy Tx: the webhook's transaction waits (before its
commit) until reconciliation has read get_payment; nothing else is changed.
"""

from __future__ import annotations

import asyncio
import contextvars
import copy
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import pytest

from core.domain.model import PaymentStatus
from storage.db import make_engine
from storage.store import SqlStore
from tests.support.harness import build_rig, request
from tests.support.sealing import sealer_for_tests

ROLE: contextvars.ContextVar[str] = contextvars.ContextVar("role", default="")


class _GatedPayments:
    """A transaction's payments repository: reconciliation's read opens the gate, the
    webhook's insert waits for it."""

    def __init__(self, inner: Any, gate: asyncio.Event) -> None:
        self._inner = inner
        self._gate = gate

    def __getattr__(self, name: str) -> Any:
        return getattr(self._inner, name)

    async def get_payment(self, gateway: str, payment_ref: str) -> Any:
        found = await self._inner.get_payment(gateway, payment_ref)
        if ROLE.get() == "reconcile":
            self._gate.set()  # reconciliation has looked, and seen nothing yet
        return found

    async def add_payment(self, payment: Any) -> bool:
        added = await self._inner.add_payment(payment)
        if ROLE.get() == "webhook":
            # hold the webhook's transaction open until reconciliation has read
            await asyncio.wait_for(self._gate.wait(), timeout=5)
        return bool(added)


class _GatedStore:
    def __init__(self, inner: SqlStore) -> None:
        self.inner = inner
        self.gate = asyncio.Event()

    @asynccontextmanager
    async def transaction(self) -> AsyncIterator[Any]:
        async with self.inner.transaction() as tx:
            gated: Any = copy.copy(tx)  # the same repositories, but for payments
            gated.payments = _GatedPayments(tx.payments, self.gate)
            yield gated


@pytest.mark.postgres
async def test_webhook_and_reconcile_at_once_never_refund_a_counted_payment(pg_url: str) -> None:
    engine = make_engine(pg_url)
    try:
        store = _GatedStore(SqlStore(engine, sealer_for_tests()))
        rig = build_rig(store)
        payee = await rig.payee()
        view = await rig.engine.create_order(payee, request(total="20", payers=2))
        r = await rig.engine.reserve(view.order.token, "a", source="a")
        assert r.sub.checkout_ref
        event = rig.gateway.pay(r.sub.checkout_ref)

        async def webhook() -> object:
            ROLE.set("webhook")
            return await rig.engine.apply_event(event)

        async def reconcile() -> object:
            ROLE.set("reconcile")
            await asyncio.sleep(0.05)  # the webhook's transaction is open first
            return await rig.engine.reconcile()

        await asyncio.gather(webhook(), reconcile())

        async with store.inner.transaction() as tx:
            payments = await tx.payments.payments_of_order(view.order.id)
            order = await tx.orders.get_order(view.order.id)
        assert order is not None
        assert [(p.counted, p.status) for p in payments] == [(True, PaymentStatus.CAPTURED)]
        assert order.paid_count == 1
        # Expected: no refund of the one counted payment. Actual: it is refunded.
        assert rig.gateway.done("refund") == [], (
            f"counted payment {event.payment_ref} refunded at the gateway: {rig.gateway.calls}"
        )
    finally:
        await engine.dispose()
