"""How many parts one source may hold of an order and how fast it may take them
(core.domain.holds)."""

from __future__ import annotations

import asyncio
import dataclasses
from datetime import timedelta

import pytest

from core.domain.errors import TooManyHolds
from core.domain.model import SubOrderState
from core.usecases.deps import Reservation
from tests.support.harness import Rig, build_rig, open_store, request

HOME = "ip:203.0.113.7"
ELSEWHERE = "ip:198.51.100.2"


async def new_order(rig: Rig, payers: int = 40, holds: int | None = None) -> str:
    payee = await rig.payee()
    req = dataclasses.replace(request(total="400", payers=payers), holds_per_source=holds)
    return (await rig.engine.create_order(payee, req)).order.token


async def hold(rig: Rig, token: str, payer: str, source: str = HOME) -> Reservation:
    return await rig.engine.reserve(token, payer, source=source)


async def held_count(rig: Rig, token: str) -> int:
    view = await rig.engine.public_order(token)
    return sum(1 for s in view.subs if s.state == SubOrderState.RESERVED)


async def test_one_source_holds_at_most_ten_parts_of_an_order(rig: Rig) -> None:
    token = await new_order(rig)
    for i in range(10):
        await hold(rig, token, f"payer-{i}")
    with pytest.raises(TooManyHolds) as refused:
        await hold(rig, token, "payer-10")
    assert refused.value.fields["reason"] == "open"
    assert refused.value.fields["limit"] == 10
    # the first of those holds lapses in 15 minutes: that is when to come back
    assert refused.value.fields["retry_after_s"] == 15 * 60
    assert "10 parts of this order are held from here" in refused.value.message
    assert await held_count(rig, token) == 10
    other = await hold(rig, token, "payer-10", source=ELSEWHERE)
    assert other.created


async def test_a_source_counts_per_order(rig: Rig) -> None:
    first, second = await new_order(rig), await new_order(rig)
    for i in range(10):
        await hold(rig, first, f"payer-{i}")
    assert (await hold(rig, second, "payer-0")).created


async def test_the_payee_raises_the_limit_of_one_order(rig: Rig) -> None:
    token = await new_order(rig, payers=60, holds=50)
    for i in range(50):
        await hold(rig, token, f"till-{i}")
    with pytest.raises(TooManyHolds):
        await hold(rig, token, "till-50")
    assert await held_count(rig, token) == 50


async def test_parts_no_longer_held_do_not_count(rig: Rig) -> None:
    """A lapsed, released or paid part frees its place under the limit."""
    token = await new_order(rig)
    taken = [await hold(rig, token, f"payer-{i}") for i in range(10)]
    paid = taken[0].sub.checkout_ref
    assert paid is not None
    await rig.engine.apply_event(rig.gateway.pay(paid))
    await rig.engine.release_own_hold(token, taken[1].hold_secret)
    assert (await hold(rig, token, "payer-10")).created
    assert (await hold(rig, token, "payer-11")).created
    rig.clock.advance(minutes=16)
    assert (await rig.engine.tick()).released == 10
    for i in range(12, 22):
        await hold(rig, token, f"payer-{i}")


async def test_a_source_takes_at_most_thirty_new_holds_in_ten_minutes(rig: Rig) -> None:
    """Taking a hold and letting it go over and over is bounded, not only holding many."""
    token = await new_order(rig)
    for i in range(30):
        res = await hold(rig, token, f"churn-{i}")
        await rig.engine.release_own_hold(token, res.hold_secret)
    rig.clock.advance(minutes=4)
    with pytest.raises(TooManyHolds) as refused:
        await hold(rig, token, "churn-30")
    assert refused.value.fields["reason"] == "rate"
    assert refused.value.fields["retry_after_s"] == 6 * 60
    assert await held_count(rig, token) == 0
    assert (await hold(rig, token, "churn-30", source=ELSEWHERE)).created
    rig.clock.advance(minutes=6)
    assert (await hold(rig, token, "churn-31")).created


async def test_a_refused_take_is_not_counted(rig: Rig) -> None:
    """Knocking at the limit does not use up the source's new holds for later."""
    token = await new_order(rig)
    taken = [await hold(rig, token, f"payer-{i}") for i in range(10)]
    for i in range(40):
        with pytest.raises(TooManyHolds):
            await hold(rig, token, f"knock-{i}")
    for res in taken:
        await rig.engine.release_own_hold(token, res.hold_secret)
    for i in range(10):
        await hold(rig, token, f"again-{i}")  # 20 takes in all: still under 30


async def test_windows_past_ten_minutes_are_forgotten_by_the_tick(rig: Rig) -> None:
    token = await new_order(rig)
    await hold(rig, token, "payer-0")
    await hold(rig, token, "payer-1", source=ELSEWHERE)
    assert await rig.engine.forget_hold_takes() == 0
    rig.clock.advance(minutes=11)
    assert await rig.engine.forget_hold_takes() == 2
    await hold(rig, token, "payer-2")
    rig.clock.advance(minutes=11)
    await rig.engine.tick()
    assert await rig.engine.forget_hold_takes() == 0  # the tick did it


@pytest.mark.parametrize("source", ["ip:127.0.0.1", "ip:127.8.9.10", "ip:::/64"])
async def test_loopback_clients_are_limited_unless_the_setting_is_off(
    store_url: str | None, source: str
) -> None:
    async with open_store(store_url) as store:
        limited = build_rig(store)
        token = await new_order(limited, payers=60)
        for i in range(10):
            await hold(limited, token, f"bench-{i}", source=source)
        with pytest.raises(TooManyHolds):
            await hold(limited, token, "bench-10", source=source)
        off = build_rig(store, loopback_limits=False)
        off.clock.at = limited.clock.at
        for i in range(10, 40):
            await hold(off, token, f"bench-{i}", source=source)
        for i in range(10):
            await hold(off, token, f"remote-{i}", source=HOME)
        with pytest.raises(TooManyHolds):  # the setting never lifts the limits of others
            await hold(off, token, "remote-10", source=HOME)


async def test_parallel_reservations_of_one_source_stop_at_the_limit(rig: Rig) -> None:
    """On PostgreSQL the transactions truly run at once: only the source's row lock keeps
    the eleventh and later reservations out."""
    token = await new_order(rig)
    for i in range(8):
        await hold(rig, token, f"payer-{i}")

    async def attempt(i: int) -> Reservation | TooManyHolds:
        try:
            return await hold(rig, token, f"rush-{i}")
        except TooManyHolds as refused:
            return refused

    results = await asyncio.gather(*(attempt(i) for i in range(12)))
    assert sum(isinstance(r, Reservation) for r in results) == 2
    assert sum(isinstance(r, TooManyHolds) for r in results) == 10
    assert await held_count(rig, token) == 10


async def test_two_parallel_reservations_at_the_limit_do_not_both_succeed(rig: Rig) -> None:
    token = await new_order(rig)
    for i in range(9):
        await hold(rig, token, f"payer-{i}")
    results = await asyncio.gather(
        hold(rig, token, "left"), hold(rig, token, "right"), return_exceptions=True
    )
    assert sorted(type(r).__name__ for r in results) == ["Reservation", "TooManyHolds"]
    assert await held_count(rig, token) == 10


async def test_the_window_of_new_holds_restarts_after_ten_minutes(rig: Rig) -> None:
    token = await new_order(rig)
    order_id = (await rig.engine.public_order(token)).order.id
    start = rig.clock.now()
    async with rig.store.transaction() as tx:
        first = await tx.holds.take_hold_slot(order_id, HOME, start, 600)
        second = await tx.holds.take_hold_slot(order_id, HOME, start + timedelta(seconds=599), 600)
        third = await tx.holds.take_hold_slot(order_id, HOME, start + timedelta(seconds=600), 600)
        other = await tx.holds.take_hold_slot(order_id, ELSEWHERE, start, 600)
    assert (first.count, second.count, third.count, other.count) == (1, 2, 1, 1)
    assert (second.window_start, third.window_start) == (start, start + timedelta(seconds=600))
