"""A refund made at the gateway while the payee cancels: the order counts it back once.

On PostgreSQL the webhook's transaction can read the payment as captured, then wait for
the cancel's transaction (which moved it to refund_pending and counted the refund) and
update it anyway. The store below replays that interleaving deterministically: the
webhook's read answers what the payment was before the cancel committed.
"""

from __future__ import annotations

import copy
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from core.domain.errors import GatewayRetryable
from core.domain.events import SubOrderRefunded
from core.domain.ledger.entries import EntryKind
from core.domain.model import Payment, PaymentStatus
from core.ports.store import GatewayEventKind, Store
from tests.support.harness import Rig, build_rig, request


class _StalePayments:
    """A transaction's payments repository whose next get_payment may answer a stale read."""

    def __init__(self, tx: Any, owner: _StaleReads) -> None:
        self._tx = tx
        self._owner = owner

    def __getattr__(self, name: str) -> Any:
        return getattr(self._tx, name)

    async def get_payment(self, gateway: str, payment_ref: str) -> Payment | None:
        stale, self._owner.stale = self._owner.stale, None
        return stale if stale is not None else await self._tx.get_payment(gateway, payment_ref)


class _StaleReads:
    """A store whose next get_payment answers `stale`: a read from before a commit."""

    def __init__(self, inner: Store) -> None:
        self.inner = inner
        self.stale: Payment | None = None

    @asynccontextmanager
    async def transaction(self) -> AsyncIterator[Any]:
        async with self.inner.transaction() as tx:
            stale: Any = copy.copy(tx)  # the same repositories, but for payments
            stale.payments = _StalePayments(tx.payments, self)
            yield stale


async def test_a_gateway_refund_racing_a_cancel_is_counted_back_once(rig: Rig) -> None:
    store = _StaleReads(rig.store)
    rig = build_rig(store)
    payee = await rig.payee()
    view = await rig.engine.create_order(payee, request(total="30", payers=3))
    res = await rig.engine.reserve(view.order.token, "tg:1", source="tg:1")
    assert res.sub.checkout_ref is not None
    paid = rig.gateway.pay(res.sub.checkout_ref)
    await rig.engine.apply_event(paid)
    async with rig.store.transaction() as tx:
        before = await tx.payments.get_payment(rig.gateway.name, paid.payment_ref)
    assert before is not None
    assert before.status == PaymentStatus.CAPTURED
    rig.gateway.fail_next = [GatewayRetryable("503")]  # our own refund call waits a while
    await rig.engine.cancel_order(view.order.id, payee)
    rig.notifier.events.clear()

    store.stale = before  # the webhook read the payment before the cancel committed
    refunded = rig.gateway.event(res.sub.checkout_ref, GatewayEventKind.REFUNDED)
    await rig.engine.apply_event(refunded)

    async with rig.store.transaction() as tx:
        order = await tx.orders.get_order(view.order.id)
        payment = await tx.payments.get_payment(rig.gateway.name, paid.payment_ref)
        booked = [e.kind for e in await tx.ledger.ledger_entries_of_payment(before.id)]
    assert payment is not None
    assert payment.status == PaymentStatus.REFUNDED
    assert booked == [EntryKind.PART_PAID, EntryKind.PAYMENT_REFUNDED]
    assert order is not None
    assert order.refunded_minor == 1000
    assert not [e for e in rig.notifier.events if isinstance(e, SubOrderRefunded)]
