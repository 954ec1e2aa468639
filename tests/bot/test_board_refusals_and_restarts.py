"""The progress board when Telegram says no for good, when the group migrates, and across
restarts."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

from tests.support.ptb import BOB, GROUP, BotRig, Fault, Posted, running_bot

NEW_GROUP = -1004001
KICKED = "Forbidden: bot was kicked from the group chat"


class _Sticky(list[Any]):
    """A fault list whose faults are never used up: Telegram answers the same every time."""

    def remove(self, value: Any) -> None:
        return None


async def _reserve_direct(bot: BotRig, posted: Posted, who: int) -> None:
    await bot.rig.engine.reserve(
        posted.token,
        f"tg:{who}",
        payer_name=f"Payer {who}",
        aliases=[f"tg:{who}"],
        source=f"tg:{who}",
    )


async def test_a_group_that_removed_the_bot_is_given_up_after_a_few_tries(tmp_path: Path) -> None:
    async with running_bot(tmp_path, edit_interval_s=0.2) as bot:
        posted = await bot.post("/split 100 4 Dinner")
        bot.api.faults = _Sticky([Fault("editMessageText", 403, KICKED, chat_id=GROUP)])

        await _reserve_direct(bot, posted, 2001)
        await bot.flush(drain=False)
        await asyncio.sleep(1.5)

        attempts = [c for c in bot.api.edits(GROUP, ok_only=False) if c.status == 403]
        still_running = bot.board._chats[GROUP].task is not None
        bot.api.faults = []  # let the test end
        await bot.board.drain()
        # A Forbidden chat is given up (or retried with back-off, a few times).
        assert not still_running, len(attempts)
        assert len(attempts) <= 2, len(attempts)


async def test_two_orders_pending_when_the_group_migrates_both_follow(
    tmp_path: Path,
) -> None:
    """The bot learns of the migration from an edit's ChatMigrated (service message missed)."""
    async with running_bot(tmp_path, edit_interval_s=1.0) as bot:
        first = await bot.post("/split 100 4 Dinner")
        second = await bot.post("/collect 5 10 Tips")
        bot.api.migrate(GROUP, NEW_GROUP)

        await _reserve_direct(bot, first, 2001)
        await _reserve_direct(bot, second, 2002)
        await bot.flush()  # both orders are pending in GROUP's queue when the first edit fails

        reposted = bot.api.sent(NEW_GROUP, "sendMessage")
        # Both progress messages are posted again in the supergroup.
        assert len(reposted) == 2, [c.text.splitlines()[0] for c in reposted]


async def test_after_a_restart_progress_messages_are_brought_up_to_date(
    tmp_path: Path,
) -> None:
    """A payment committed just before a crash (or still inside the 3 s coalescing window at
    shutdown) reaches the group's message because start-up compares each open order's text
    with what its message shows."""
    async with running_bot(tmp_path) as first:
        posted = await first.post("/split 100 4 Dinner")
        rig = first.rig
        # The payment is committed; the process stops before the bot hears of it.
        res = await rig.engine.reserve(posted.token, "tg:2001", payer_name="Zed", source="tg:2001")
        assert res.sub.checkout_ref is not None
        await rig.engine.apply_event(rig.gateway.pay(res.sub.checkout_ref))

    async with running_bot(tmp_path, rig) as second:
        await second.board.drain()
        # At start-up the open order's progress message is refreshed to 1/4 (this run's
        # emulator has no memory of the first run's message, so the edit itself is refused).
        edits = second.api.edits(GROUP, ok_only=False)
        assert any("Paid 1/4" in c.text for c in edits), second.api.calls


async def test_the_board_forgets_the_progress_messages_of_closed_orders(bot: BotRig) -> None:
    """`_chats` would only grow if closed orders' entries were never dropped; what each
    progress message shows is kept on its post, in the database."""
    for i in range(5):
        posted = await bot.post(f"/split 10 1 Order{i}")
        await bot.pay_checkout(await bot.reserve(BOB, posted.token)) if i == 0 else None
        view = await bot.rig.engine.order_view(posted.order_id)
        assert view is not None
        await bot.rig.engine.cancel_order(posted.order_id, view.order.payee_id) if i else None
        await bot.flush()
    open_orders = await bot.rig.engine.open_orders_in_chat(GROUP)
    assert open_orders == []
    # Nothing kept in memory for orders that are closed and shown as closed.
    await bot.board.drain()
    assert all(c.task is None and not c.pending for c in bot.board._chats.values())
    for post in await bot.rig.engine.unfinished_posts():
        raise AssertionError(f"order {post.order_id} is closed but not shown as closed")


async def test_after_a_restart_a_closed_orders_final_state_is_shown(tmp_path: Path) -> None:
    """SIGKILL of `chipin run` right after the last payment completed an order: its progress
    message still says 3/4, and refreshing open orders only at start-up would leave it so."""
    async with running_bot(tmp_path) as first:
        posted = await first.post("/split 40 1 Taxi")
        rig = first.rig
        res = await rig.engine.reserve(posted.token, "tg:2001", payer_name="Zed", source="tg:2001")
        assert res.sub.checkout_ref is not None
        await rig.engine.apply_event(rig.gateway.pay(res.sub.checkout_ref))  # completes it
        assert [p.final_shown for p in await rig.engine.posts_of(posted.order_id)] == [False]

    async with running_bot(tmp_path, rig) as second:
        await second.board.drain()
        edits = second.api.edits(GROUP, ok_only=False)
        # The completed order's progress message is brought to its final state.
        assert any("Paid 1/1" in c.text and "Complete" in c.text for c in edits), edits

    async with running_bot(tmp_path, rig) as third:
        await third.board.drain()
        # Shown once (the emulator refuses the edit of an unknown message, which counts
        # as done): the next start leaves it alone.
        assert [p.final_shown for p in await rig.engine.posts_of(posted.order_id)] == [True]
        assert third.api.edits(GROUP, ok_only=False) == []


async def test_a_restart_edits_only_the_messages_whose_order_changed_while_down(
    tmp_path: Path,
) -> None:
    async with running_bot(tmp_path) as first:
        posts = [await first.post(f"/split 100 4 Dinner {i}") for i in range(3)]
        rig = first.rig
    # While Chipin is down, one order gets a payment; the other two stay as shown.
    res = await rig.engine.reserve(posts[1].token, "tg:2001", payer_name="Zed", source="z")
    assert res.sub.checkout_ref is not None
    await rig.engine.apply_event(rig.gateway.pay(res.sub.checkout_ref))

    async with running_bot(tmp_path, rig) as second:
        await second.board.drain()
        edits = second.api.edits(GROUP, ok_only=False)
        shown = posts[1].progress.message["message_id"]
        assert [int(c.params["message_id"]) for c in edits] == [shown]
        assert "Paid 1/4" in edits[0].text
