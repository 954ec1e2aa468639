"""Contract: exactly N under real concurrency, each task in its own transaction."""

from __future__ import annotations

import asyncio
from datetime import timedelta

from core.domain.errors import Conflict
from core.domain.model import OrderId, SubOrder, SubOrderState
from storage.store import SqlStore
from tests.storage.helpers import AMOUNT, T0, seed_order

TASKS = 200
N = 6
HOLD = T0 + timedelta(minutes=10)


async def _count_one(store: SqlStore, order_id: OrderId) -> int | None:
    async with store.transaction() as tx:
        return await tx.orders.count_paid(order_id, AMOUNT, T0)


async def _reserve(store: SqlStore, order_id: OrderId, payer: str) -> SubOrder | None:
    async with store.transaction() as tx:
        return await tx.sub_orders.reserve_one(order_id, payer, HOLD)


async def test_count_paid_counts_exactly_n_of_200_concurrent(store: SqlStore) -> None:
    order = await seed_order(store, n=N)
    results = await asyncio.gather(*(_count_one(store, order.id) for _ in range(TASKS)))
    counted = sorted(r for r in results if r is not None)
    assert counted == list(range(1, N + 1))
    async with store.transaction() as tx:
        got = await tx.orders.get_order(order.id)
    assert got is not None
    assert (got.paid_count, got.paid_minor) == (N, N * AMOUNT)


async def test_reserve_one_gives_n_distinct_sub_orders_to_200_concurrent(store: SqlStore) -> None:
    order = await seed_order(store, n=N)
    results = await asyncio.gather(*(_reserve(store, order.id, f"payer-{i}") for i in range(TASKS)))
    won = [r for r in results if r is not None]
    assert len(won) == N
    assert len({s.id for s in won}) == N
    assert len({s.payer_ref for s in won}) == N
    async with store.transaction() as tx:
        subs = await tx.sub_orders.get_sub_orders(order.id)
    assert all(s.state == SubOrderState.RESERVED for s in subs)


async def test_same_payer_reserving_twice_at_once_holds_one(store: SqlStore) -> None:
    order = await seed_order(store, n=N)
    results = await asyncio.gather(
        *(_reserve(store, order.id, "alice") for _ in range(2)), return_exceptions=True
    )
    held = [r for r in results if isinstance(r, SubOrder)]
    others = [r for r in results if not isinstance(r, SubOrder)]
    assert len(held) == 1
    assert all(r is None or isinstance(r, Conflict) for r in others)
    async with store.transaction() as tx:
        subs = await tx.sub_orders.get_sub_orders(order.id)
    assert [s.payer_ref for s in subs if s.state == SubOrderState.RESERVED] == ["alice"]
