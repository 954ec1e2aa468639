"""Storage contract (SQLite and PostgreSQL): loose checkouts, early voids, and which posts
start-up brings up to date."""

from __future__ import annotations

from datetime import timedelta

from core.domain.model import CheckoutRef, OrderPost, OrderState, SubOrderId
from storage.store import SqlStore
from tests.storage.helpers import T0, new_id, seed_order


def _checkout(ref: str) -> CheckoutRef:
    return CheckoutRef("sandbox", ref, SubOrderId(new_id("sub")), f"cancel_{ref}")


async def test_loose_checkouts_wait_longest_unchecked_first_until_dropped(store: SqlStore) -> None:
    a, b, c = _checkout("cs_a"), _checkout("cs_b"), _checkout("cs_c")
    async with store.transaction() as tx:
        await tx.checkouts.add_loose_checkout(b, T0 + timedelta(seconds=1))
        await tx.checkouts.add_loose_checkout(a, T0)
        await tx.checkouts.add_loose_checkout(c, T0 + timedelta(seconds=2))
        await tx.checkouts.add_loose_checkout(
            a, T0 + timedelta(seconds=9)
        )  # again: nothing changes
    async with store.transaction() as tx:
        assert await tx.checkouts.loose_checkouts(10) == [a, b, c]
        assert await tx.checkouts.loose_checkouts(2) == [a, b]
        await tx.checkouts.touch_loose_checkout(a, T0 + timedelta(minutes=1))  # tried, still loose
    async with store.transaction() as tx:
        assert await tx.checkouts.loose_checkouts(10) == [b, c, a]
        await tx.checkouts.drop_loose_checkout(b)
        await tx.checkouts.drop_loose_checkout(b)  # twice: no error
    async with store.transaction() as tx:
        assert await tx.checkouts.loose_checkouts(10) == [c, a]


async def test_an_early_void_is_taken_once(store: SqlStore) -> None:
    async with store.transaction() as tx:
        assert await tx.checkouts.take_early_void("sandbox", "pi_1") is False
        await tx.checkouts.note_early_void("sandbox", "pi_1", T0)
        await tx.checkouts.note_early_void("sandbox", "pi_1", T0)  # delivered twice
    async with store.transaction() as tx:
        assert await tx.checkouts.take_early_void("stripe", "pi_1") is False  # another gateway's
        assert await tx.checkouts.take_early_void("sandbox", "pi_1") is True
        assert await tx.checkouts.take_early_void("sandbox", "pi_1") is False


async def test_unfinished_posts_are_open_orders_and_closed_ones_not_shown(store: SqlStore) -> None:
    open_, shown, lagging = [await seed_order(store) for _ in range(3)]
    async with store.transaction() as tx:
        for i, order in enumerate((open_, shown, lagging)):
            await tx.posts.add_post(OrderPost(order.id, -100 - i, 1, 2, T0 + timedelta(seconds=i)))
    async with store.transaction() as tx:
        for order in (shown, lagging):
            assert await tx.orders.close_order(
                order.id, [OrderState.OPEN], OrderState.COMPLETED, T0
            )
        await tx.posts.mark_final_shown(shown.id, -101)
        await tx.posts.mark_final_shown(lagging.id, -999)  # another chat: not this post
    async with store.transaction() as tx:
        posts = await tx.posts.unfinished_posts(10)
        shown_posts = await tx.posts.get_posts(shown.id)
    assert [p.order_id for p in posts] == [open_.id, lagging.id]
    assert [p.final_shown for p in shown_posts] == [True]
