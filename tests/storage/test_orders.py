"""Contract: payees, API keys and orders round-trip; order counters and closing are conditional."""

from __future__ import annotations

from datetime import UTC, timedelta

from core.domain.model import OrderId, OrderState, PayeeId
from storage.store import SqlStore
from tests.storage.helpers import AMOUNT, T0, make_order, make_payee, seed_order


async def test_payee_and_api_key_round_trip(store: SqlStore) -> None:
    payee = make_payee("Ana")
    async with store.transaction() as tx:
        await tx.payees.add_payee(payee)
        await tx.payees.add_api_key("hash-1", payee.id, T0)
    async with store.transaction() as tx:
        assert await tx.payees.get_payee(payee.id) == payee
        assert await tx.payees.get_payee_by_name("Ana") == payee
        assert await tx.payees.payee_for_key("hash-1") == payee.id
        assert await tx.payees.payee_for_key("hash-2") is None
        assert await tx.payees.get_payee(PayeeId("nobody")) is None


async def test_order_and_sub_orders_round_trip_with_aware_utc_datetimes(store: SqlStore) -> None:
    payee = make_payee()
    order, subs = make_order(payee.id, key="idem-1")
    async with store.transaction() as tx:
        await tx.payees.add_payee(payee)
        await tx.orders.add_order(order, subs)
    async with store.transaction() as tx:
        got = await tx.orders.get_order(order.id)
        assert got == order
        assert got is not None
        assert got.created_at.tzinfo == UTC
        assert got.expires_at == T0 + timedelta(hours=1)
        assert await tx.orders.get_order_by_token(order.token) == order
        assert await tx.orders.get_order_by_key(payee.id, "idem-1") == order
        assert await tx.orders.get_order_by_key(payee.id, "idem-2") is None
        assert await tx.sub_orders.get_sub_orders(order.id) == subs
        assert await tx.sub_orders.get_sub_order(subs[2].id) == subs[2]
        assert await tx.orders.get_order(OrderId("missing")) is None


async def test_list_orders_newest_first_with_count(store: SqlStore) -> None:
    payee = make_payee()
    made = [make_order(payee.id, created_at=T0 + timedelta(minutes=i))[0] for i in range(5)]
    async with store.transaction() as tx:
        await tx.payees.add_payee(payee)
        for order in made:
            await tx.orders.add_order(order, [])
    async with store.transaction() as tx:
        page = await tx.orders.list_orders(payee.id, limit=2, offset=1)
        assert [o.id for o in page] == [made[3].id, made[2].id]
        assert await tx.orders.count_orders(payee.id) == 5
        assert await tx.orders.count_orders(PayeeId("nobody")) == 0


async def test_count_paid_stops_at_n_and_adds_amounts(store: SqlStore) -> None:
    order = await seed_order(store, n=2)
    async with store.transaction() as tx:
        counts = [await tx.orders.count_paid(order.id, AMOUNT, T0) for _ in range(3)]
        assert counts == [1, 2, None]
        got = await tx.orders.get_order(order.id)
    assert got is not None
    assert (got.paid_count, got.paid_minor) == (2, 2 * AMOUNT)


async def test_count_paid_refuses_expired_or_closed_orders(store: SqlStore) -> None:
    order = await seed_order(store, n=3)
    async with store.transaction() as tx:
        assert await tx.orders.count_paid(order.id, AMOUNT, order.expires_at) is None
        assert (
            await tx.orders.count_paid(order.id, AMOUNT, order.expires_at - timedelta(seconds=1))
            == 1
        )
        await tx.orders.close_order(order.id, [OrderState.OPEN], OrderState.CANCELLED, T0)
        assert await tx.orders.count_paid(order.id, AMOUNT, T0) is None


async def test_close_order_is_conditional_and_sets_closed_at(store: SqlStore) -> None:
    order = await seed_order(store)
    later = T0 + timedelta(minutes=5)
    async with store.transaction() as tx:
        assert not await tx.orders.close_order(
            order.id, [OrderState.COMPLETED], OrderState.CANCELLED, T0
        )
        assert await tx.orders.close_order(order.id, [OrderState.OPEN], OrderState.EXPIRED, later)
        assert not await tx.orders.close_order(
            order.id, [OrderState.OPEN], OrderState.COMPLETED, later
        )
        got = await tx.orders.get_order(order.id)
    assert got is not None
    assert (got.state, got.closed_at) == (OrderState.EXPIRED, later)


async def test_add_refunded_amount_accumulates(store: SqlStore) -> None:
    order = await seed_order(store)
    async with store.transaction() as tx:
        await tx.orders.add_refunded_amount(order.id, 150)
        await tx.orders.add_refunded_amount(order.id, 50)
        got = await tx.orders.get_order(order.id)
    assert got is not None
    assert got.refunded_minor == 200


async def test_due_orders_are_open_orders_past_their_expiry(store: SqlStore) -> None:
    soon = await seed_order(store, valid=timedelta(minutes=1))
    late = await seed_order(store, valid=timedelta(minutes=10))
    closed = await seed_order(store, valid=timedelta(minutes=1))
    async with store.transaction() as tx:
        await tx.orders.close_order(closed.id, [OrderState.OPEN], OrderState.CANCELLED, T0)
        assert await tx.orders.due_orders(T0, 10) == []
        assert [o.id for o in await tx.orders.due_orders(soon.expires_at, 10)] == [soon.id]
        due = await tx.orders.due_orders(late.expires_at, 10)
        assert [o.id for o in due] == [soon.id, late.id]
        assert len(await tx.orders.due_orders(late.expires_at, 1)) == 1
