"""Contract: reservations, holds, checkouts and sub-order state changes are conditional."""

from __future__ import annotations

from datetime import timedelta

import sqlalchemy as sa

from core.domain.model import OrderState, SubOrderState
from storage.store import SqlStore
from storage.tables import sub_orders
from tests.storage.helpers import T0, seed_order
from tests.support.harness import dump

HOLD = T0 + timedelta(minutes=10)


async def test_reserve_one_takes_lowest_free_sub_order_and_bumps_hold_seq(store: SqlStore) -> None:
    order = await seed_order(store, n=3)
    async with store.transaction() as tx:
        first = await tx.sub_orders.reserve_one(order.id, "alice", HOLD)
        second = await tx.sub_orders.reserve_one(order.id, "bob", HOLD)
    assert first is not None
    assert second is not None
    assert (first.idx, first.state, first.payer_ref) == (0, SubOrderState.RESERVED, "alice")
    assert (first.hold_until, first.hold_seq, first.checkout_ref) == (HOLD, 1, None)
    assert second.idx == 1
    async with store.transaction() as tx:
        assert await tx.sub_orders.find_payer_sub_order(order.id, "alice") == first
        assert await tx.sub_orders.find_payer_sub_order(order.id, "carol") is None


async def test_reserve_one_returns_none_when_full_or_order_not_open(store: SqlStore) -> None:
    order = await seed_order(store, n=1)
    other = await seed_order(store, n=1)
    async with store.transaction() as tx:
        assert await tx.sub_orders.reserve_one(order.id, "alice", HOLD) is not None
        assert await tx.sub_orders.reserve_one(order.id, "bob", HOLD) is None
        await tx.orders.close_order(other.id, [OrderState.OPEN], OrderState.CANCELLED, T0)
        assert await tx.sub_orders.reserve_one(other.id, "bob", HOLD) is None


async def test_checkout_then_release_only_for_the_same_hold_seq(store: SqlStore) -> None:
    order = await seed_order(store, n=1)
    async with store.transaction() as tx:
        sub = await tx.sub_orders.reserve_one(order.id, "alice", HOLD)
        assert sub is not None
        assert not await tx.sub_orders.set_checkout(
            sub.id, sub.hold_seq + 1, "sandbox", "cs_1", "u"
        )
        assert await tx.sub_orders.set_checkout(
            sub.id, sub.hold_seq, "sandbox", "cs_1", "https://x/1"
        )
        assert await tx.sub_orders.sub_order_for_checkout("sandbox", "cs_1") is not None
        assert await tx.sub_orders.sub_order_for_checkout("stripe", "cs_1") is None
        assert not await tx.sub_orders.release_hold(sub.id, sub.hold_seq - 1)
        assert await tx.sub_orders.release_hold(sub.id, sub.hold_seq)
        assert not await tx.sub_orders.release_hold(sub.id, sub.hold_seq)
        freed = await tx.sub_orders.get_sub_order(sub.id)
        again = await tx.sub_orders.reserve_one(order.id, "bob", HOLD)
    assert freed is not None
    assert (freed.state, freed.payer_ref, freed.hold_until) == (SubOrderState.AVAILABLE, None, None)
    assert again is not None
    assert (again.id, again.hold_seq, again.checkout_ref, again.gateway) == (sub.id, 2, None, None)


async def test_mark_sub_paid_needs_the_reservation_checkout_and_can_be_undone(
    store: SqlStore,
) -> None:
    order = await seed_order(store, n=1)
    async with store.transaction() as tx:
        sub = await tx.sub_orders.reserve_one(order.id, "alice", HOLD)
        assert sub is not None
        await tx.sub_orders.set_checkout(sub.id, sub.hold_seq, "sandbox", "cs_1", "https://x/1")
        assert not await tx.sub_orders.mark_sub_paid(sub.id, "cs_other", T0)
        assert await tx.sub_orders.mark_sub_paid(sub.id, "cs_1", T0)
        assert not await tx.sub_orders.mark_sub_paid(sub.id, "cs_1", T0)
        paid = await tx.sub_orders.get_sub_order(sub.id)
        assert await tx.sub_orders.reopen_sub_order(sub.id)
        assert not await tx.sub_orders.reopen_sub_order(sub.id)
        reopened = await tx.sub_orders.get_sub_order(sub.id)
    assert paid is not None
    assert (paid.state, paid.paid_at) == (SubOrderState.PAID, T0)
    assert reopened is not None
    assert (reopened.state, reopened.payer_ref, reopened.paid_at) == (
        SubOrderState.AVAILABLE,
        None,
        None,
    )


async def test_set_sub_state_is_conditional(store: SqlStore) -> None:
    order = await seed_order(store, n=1)
    async with store.transaction() as tx:
        (sub,) = await tx.sub_orders.get_sub_orders(order.id)
        assert not await tx.sub_orders.set_sub_state(
            sub.id, SubOrderState.PAID, SubOrderState.REFUNDED
        )
        assert await tx.sub_orders.set_sub_state(
            sub.id, SubOrderState.AVAILABLE, SubOrderState.CLOSED
        )


async def test_close_open_sub_orders_returns_the_reserved_ones_as_they_were(
    store: SqlStore,
) -> None:
    order = await seed_order(store, n=4)
    async with store.transaction() as tx:
        held = await tx.sub_orders.reserve_one(order.id, "alice", HOLD)
        paid = await tx.sub_orders.reserve_one(order.id, "bob", HOLD)
        assert held is not None
        assert paid is not None
        await tx.sub_orders.set_checkout(held.id, held.hold_seq, "sandbox", "cs_a", "https://x/a")
        await tx.sub_orders.set_checkout(paid.id, paid.hold_seq, "sandbox", "cs_b", "https://x/b")
        await tx.sub_orders.mark_sub_paid(paid.id, "cs_b", T0)
        released = await tx.sub_orders.close_open_sub_orders(order.id)
        states = [s.state for s in await tx.sub_orders.get_sub_orders(order.id)]
    assert [(s.id, s.state, s.checkout_ref) for s in released] == [
        (held.id, SubOrderState.RESERVED, "cs_a")
    ]
    assert states == [
        SubOrderState.CLOSED,
        SubOrderState.PAID,
        SubOrderState.CLOSED,
        SubOrderState.CLOSED,
    ]


async def test_lapsed_holds_and_in_flight_checkouts(store: SqlStore) -> None:
    order = await seed_order(store, n=3)
    async with store.transaction() as tx:
        early = await tx.sub_orders.reserve_one(order.id, "alice", T0 + timedelta(minutes=1))
        late = await tx.sub_orders.reserve_one(order.id, "bob", T0 + timedelta(minutes=5))
        assert early is not None
        assert late is not None
        await tx.sub_orders.set_checkout(late.id, late.hold_seq, "sandbox", "cs_b", "https://x/b")
        assert await tx.sub_orders.lapsed_holds(T0, 10) == []
        lapsed = await tx.sub_orders.lapsed_holds(T0 + timedelta(minutes=1), 10)
        assert [s.id for s in lapsed] == [early.id]
        lapsed = await tx.sub_orders.lapsed_holds(T0 + timedelta(minutes=9), 10)
        assert [s.id for s in lapsed] == [early.id, late.id]
        assert len(await tx.sub_orders.lapsed_holds(T0 + timedelta(minutes=9), 1)) == 1
        assert [s.id for s in await tx.sub_orders.in_flight_checkouts(10)] == [late.id]


async def test_a_hold_keeps_its_source_only_as_a_blind_index_until_it_is_released(
    store: SqlStore,
) -> None:
    order = await seed_order(store, n=3)
    source, secret_hash = "ip:203.0.113.7", "ab" * 32
    async with store.transaction() as tx:
        sub = await tx.sub_orders.reserve_one(
            order.id, "api:bob", HOLD, source=source, secret_hash=secret_hash
        )
        await tx.sub_orders.reserve_one(
            order.id, "api:cy", HOLD + timedelta(minutes=1), source=source
        )
        await tx.sub_orders.reserve_one(order.id, "api:dee", HOLD, source="ip:198.51.100.2")
        assert sub is not None
        assert sub.hold_secret_hash == secret_hash
        assert await tx.holds.sub_order_by_hold_secret(order.id, secret_hash) == sub
        assert await tx.holds.source_holds(order.id, source) == [HOLD, HOLD + timedelta(minutes=1)]
    async with store.engine.connect() as conn:
        stored = await conn.execute(sa.select(sub_orders.c.source).where(sub_orders.c.id == sub.id))
        index = stored.scalar_one()
    assert index == store.sealer.index(source)
    assert "203.0.113.7" not in repr(await dump(store))
    async with store.transaction() as tx:
        assert await tx.sub_orders.release_hold(sub.id, sub.hold_seq)
        assert await tx.holds.source_holds(order.id, source) == [HOLD + timedelta(minutes=1)]
        assert await tx.holds.sub_order_by_hold_secret(order.id, secret_hash) is None
        freed = await tx.sub_orders.get_sub_order(sub.id)
    assert freed is not None
    assert freed.hold_secret_hash is None
