"""The counted-tries repository (core.ports.repos.tries) on every store: pending tries lapse,
the window of an order's wrong passwords rolls over, an attack is noted once, clearing forgets
the order's sources and nobody else's."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta

import pytest

from core.domain.model import OrderId, OrderState
from core.domain.tries import TRY_TTL_S, TryCounters
from core.ports.store import Store
from tests.support.harness import build_rig, open_store, request

NOW = datetime(2026, 12, 1, 12, 0, tzinfo=UTC)
DAY_S = 24 * 3600


@pytest.fixture
async def store(store_url: str | None) -> AsyncIterator[Store]:
    async with open_store(store_url) as opened:
        yield opened


async def _orders(store: Store, count: int) -> list[OrderId]:
    rig = build_rig(store)
    payee = await rig.payee()
    views = [await rig.engine.create_order(payee, request(password="pass")) for _ in range(count)]
    return [view.order.id for view in views]


async def test_a_pending_try_counts_until_it_is_a_minute_old(store: Store) -> None:
    async with store.transaction() as tx:
        assert await tx.tries.lock_tries("tg:1", NOW, TRY_TTL_S) == TryCounters()
        await tx.tries.add_pending_try("tg:1", "try_1", NOW)
        await tx.tries.add_pending_try("tg:1", "try_2", NOW + timedelta(seconds=30))
    late = NOW + timedelta(seconds=TRY_TTL_S)
    async with store.transaction() as tx:
        counters = await tx.tries.lock_tries("tg:1", late, TRY_TTL_S)
        assert (counters.pending, counters.last_try_at) == (1, NOW + timedelta(seconds=30))
        await tx.tries.drop_pending_try("tg:2", "try_2")  # another subject's id: nothing
        assert (await tx.tries.lock_tries("tg:1", late, TRY_TTL_S)).pending == 1
        await tx.tries.drop_pending_try("tg:1", "try_2")
        assert (await tx.tries.lock_tries("tg:1", late, TRY_TTL_S)).pending == 0


async def test_counters_are_stored_as_given_and_kept_per_subject(store: Store) -> None:
    locked = TryCounters(failures=0, lockouts=2, locked_until=NOW + timedelta(hours=1))
    async with store.transaction() as tx:
        await tx.tries.lock_tries("order:o:ip:1", NOW, TRY_TTL_S)
        await tx.tries.set_tries("order:o:ip:1", locked, NOW)
    async with store.transaction() as tx:
        assert await tx.tries.lock_tries("order:o:ip:1", NOW, TRY_TTL_S) == locked
        assert await tx.tries.lock_tries("order:o:ip:2", NOW, TRY_TTL_S) == TryCounters()


async def test_the_window_counts_then_starts_anew_a_day_after_its_first_guess(
    store: Store,
) -> None:
    [order] = await _orders(store, 1)
    async with store.transaction() as tx:
        assert await tx.tries.guess_window(order) is None
        for _ in range(3):
            counted = await tx.tries.count_guess(order, NOW, DAY_S)
        assert (counted.started_at, counted.failures, counted.attacked_at) == (NOW, 3, None)
        assert await tx.tries.mark_under_attack(order, NOW, 3)
        assert not await tx.tries.mark_under_attack(order, NOW, 3)  # noted once
        later = NOW + timedelta(seconds=DAY_S)
        fresh = await tx.tries.count_guess(order, later, DAY_S)
        assert (fresh.started_at, fresh.failures, fresh.attacked_at) == (later, 1, None)
        assert await tx.tries.guess_window(order) == fresh


async def test_clearing_forgets_the_orders_sources_and_nobody_elses(store: Store) -> None:
    order, other = await _orders(store, 2)
    until = NOW + timedelta(minutes=15)
    async with store.transaction() as tx:
        for subject, belongs in (("a", order), ("b", order), ("c", other)):
            await tx.tries.lock_tries(f"order:{belongs}:{subject}", NOW, TRY_TTL_S, belongs)
            await tx.tries.set_tries(f"order:{belongs}:{subject}", TryCounters(0, 1, until), NOW)
        await tx.tries.lock_tries("tg:7", NOW, TRY_TTL_S)
        await tx.tries.set_tries("tg:7", TryCounters(0, 1, until), NOW)
        await tx.tries.count_guess(order, NOW, DAY_S)
    async with store.transaction() as tx:
        assert await tx.tries.locked_sources(order, NOW) == 2
        assert await tx.tries.locked_sources(order, until) == 0
        assert await tx.tries.clear_guesses(order) == 2
    async with store.transaction() as tx:
        assert await tx.tries.locked_sources(order, NOW) == 0
        assert await tx.tries.guess_window(order) is None
        assert await tx.tries.locked_sources(other, NOW) == 1
        assert (await tx.tries.lock_tries("tg:7", NOW, TRY_TTL_S)).locked_until == until


async def test_lapsed_tries_and_ended_orders_counters_are_forgotten(store: Store) -> None:
    ended, open_ = await _orders(store, 2)
    until = NOW + timedelta(minutes=15)
    async with store.transaction() as tx:
        for order in (ended, open_):
            await tx.tries.lock_tries(f"order:{order}:a", NOW, TRY_TTL_S, order)
            await tx.tries.set_tries(f"order:{order}:a", TryCounters(0, 1, until), NOW)
            await tx.tries.count_guess(order, NOW, DAY_S)
        await tx.tries.lock_tries("tg:7", NOW, TRY_TTL_S)
        await tx.tries.add_pending_try("tg:7", "try_old", NOW)
        await tx.tries.add_pending_try("tg:7", "try_new", NOW + timedelta(seconds=59))
        assert await tx.orders.close_order(ended, (OrderState.OPEN,), OrderState.CANCELLED, NOW)
    stale_before = NOW + timedelta(seconds=30)
    async with store.transaction() as tx:
        assert await tx.tries.forget_tries(stale_before, 100) == 3  # a try, a source, a window
    async with store.transaction() as tx:
        assert await tx.tries.forget_tries(stale_before, 100) == 0
        assert await tx.tries.guess_window(ended) is None
        assert await tx.tries.locked_sources(ended, NOW) == 0
        assert await tx.tries.guess_window(open_) is not None
        assert await tx.tries.locked_sources(open_, NOW) == 1
        assert (await tx.tries.lock_tries("tg:7", stale_before, 3600)).pending == 1
