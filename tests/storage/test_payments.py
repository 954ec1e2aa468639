"""Contract: gateway events and payments are insert-if-absent; payment status moves on condition."""

from __future__ import annotations

from datetime import timedelta

from core.domain.model import PaymentId, PaymentStatus
from storage.store import SqlStore
from tests.storage.helpers import T0, make_payment, seed_order


async def test_duplicate_event_is_false_and_changes_nothing(store: SqlStore) -> None:
    order = await seed_order(store)
    async with store.transaction() as tx:
        assert await tx.payments.record_event("sandbox", "evt_1", "succeeded", T0)
        assert await tx.orders.count_paid(order.id, 100, T0) == 1
    async with store.transaction() as tx:
        assert not await tx.payments.record_event("sandbox", "evt_1", "succeeded", T0)
        # The transaction is still usable after the duplicate (no aborted transaction).
        assert await tx.payments.record_event("stripe", "evt_1", "succeeded", T0)
        got = await tx.orders.get_order(order.id)
    assert got is not None
    assert got.paid_count == 1


async def test_duplicate_payment_is_false_and_keeps_the_first(store: SqlStore) -> None:
    order = await seed_order(store)
    first = make_payment(order)
    again = make_payment(order, status=PaymentStatus.REFUND_PENDING, payment_ref=first.payment_ref)
    async with store.transaction() as tx:
        assert await tx.payments.add_payment(first)
        assert not await tx.payments.add_payment(again)
        assert await tx.payments.get_payment("sandbox", first.payment_ref) == first
        assert await tx.payments.get_payment_by_id(first.id) == first
        assert await tx.payments.get_payment_by_id(again.id) is None
        assert await tx.payments.payments_of_order(order.id) == [first]


async def test_payment_without_order_round_trips(store: SqlStore) -> None:
    stray = make_payment(status=PaymentStatus.REFUND_PENDING)
    async with store.transaction() as tx:
        assert await tx.payments.add_payment(stray)
        assert await tx.payments.get_payment_by_id(stray.id) == stray


async def test_set_payment_status_is_conditional(store: SqlStore) -> None:
    payment = make_payment()
    later = T0 + timedelta(seconds=30)
    async with store.transaction() as tx:
        await tx.payments.add_payment(payment)
        pending = [PaymentStatus.REFUND_PENDING]
        assert not await tx.payments.set_payment_status(
            payment.id, pending, PaymentStatus.REFUNDED, later
        )
        captured = [PaymentStatus.CAPTURED]
        assert await tx.payments.set_payment_status(
            payment.id, captured, PaymentStatus.REFUND_PENDING, later
        )
        got = await tx.payments.get_payment_by_id(payment.id)
    assert got is not None
    assert (got.status, got.updated_at) == (PaymentStatus.REFUND_PENDING, later)


async def test_note_payment_error_counts_attempts(store: SqlStore) -> None:
    payment = make_payment(status=PaymentStatus.CAPTURE_PENDING)
    async with store.transaction() as tx:
        await tx.payments.add_payment(payment)
        await tx.payments.note_payment_error(payment.id, "GatewayRetryable: timeout", T0)
        await tx.payments.note_payment_error(payment.id, "GatewayRetryable: 503", T0)
        got = await tx.payments.get_payment_by_id(payment.id)
        assert await tx.payments.get_payment_by_id(PaymentId("missing")) is None
    assert got is not None
    assert (got.attempts, got.last_error) == (2, "GatewayRetryable: 503")


async def test_pending_payments_oldest_first(store: SqlStore) -> None:
    statuses = [
        PaymentStatus.VOID_PENDING,
        PaymentStatus.CAPTURED,
        PaymentStatus.CAPTURE_PENDING,
        PaymentStatus.REFUND_PENDING,
    ]
    made = [
        make_payment(status=s, created_at=T0 - timedelta(minutes=i)) for i, s in enumerate(statuses)
    ]
    async with store.transaction() as tx:
        for p in made:
            await tx.payments.add_payment(p)
        pending = await tx.payments.pending_payments(10)
        assert len(await tx.payments.pending_payments(2)) == 2
    assert [p.id for p in pending] == [made[3].id, made[2].id, made[0].id]
