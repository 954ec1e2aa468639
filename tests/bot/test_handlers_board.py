"""Handler tests of the live progress message: coalesced edits, Telegram's refusals, migration."""

from __future__ import annotations

import itertools
from pathlib import Path

from tests.support.ptb import BOB, GROUP, BotRig, Fault, Posted, running_bot

NEW_GROUP = -1004001
NOT_MODIFIED = (
    "Bad Request: message is not modified: specified new message content and reply markup "
    "are exactly the same as a current content and reply markup of the message"
)


async def _reserve_direct(bot: BotRig, posted: Posted, who: int) -> str:
    """A payer holds a part (the engine's use case, without the keypad); the checkout ref."""
    res = await bot.rig.engine.reserve(
        posted.token,
        f"tg:{who}",
        payer_name=f"Payer {who}",
        aliases=[f"tg:{who}"],
        source=f"tg:{who}",
    )
    assert res.sub.checkout_ref is not None
    return res.sub.checkout_ref


async def _burst(bot: BotRig, posted: Posted, payers: range) -> None:
    """Payers reserve and pay one after another, the bot told of each, no waiting between."""
    for who in payers:
        ref = await _reserve_direct(bot, posted, who)
        await bot.rig.engine.apply_event(bot.rig.gateway.pay(ref))
        await bot.flush(drain=False)


async def test_a_burst_of_ten_payments_edits_at_most_once_per_3_s_and_ends_at_10_of_10(
    tmp_path: Path,
) -> None:
    async with running_bot(tmp_path, edit_interval_s=3.0) as bot:
        posted = await bot.post("/split 100 10 Party")
        sent_at = posted.progress.at

        await _burst(bot, posted, range(2001, 2006))
        await bot.board.drain()
        await _burst(bot, posted, range(2006, 2011))
        await bot.board.drain()

        edits = bot.api.edits(GROUP, ok_only=False)
        times = [sent_at] + [e.at for e in edits]
        # the first payment may come 3 s after the post and be shown at once
        assert 1 <= len(edits) <= 3
        assert all(b - a >= 2.95 for a, b in itertools.pairwise(times)), times
        assert "Paid 10/10" in edits[-1].text
        assert "Complete" in edits[-1].text
        assert edits[-1].buttons == []


async def test_an_edit_answered_not_modified_counts_as_done(bot: BotRig) -> None:
    posted = await bot.post("/split 100 4 Dinner")
    bot.api.faults.append(Fault("editMessageText", 400, NOT_MODIFIED, chat_id=GROUP))

    await _reserve_direct(bot, posted, 2001)
    await bot.flush()

    assert len(bot.api.edits(GROUP, ok_only=False)) == 1  # refused, and not retried
    await bot.board.touch(posted.order_id)  # the same state again: nothing to send
    await bot.board.drain()
    assert len(bot.api.edits(GROUP, ok_only=False)) == 1
    await _reserve_direct(bot, posted, 2002)
    await bot.flush()
    assert "2 paying now" in bot.api.edits(GROUP)[-1].text


async def test_a_429_is_waited_out_and_the_final_state_still_arrives(bot: BotRig) -> None:
    posted = await bot.post("/split 100 4 Dinner")
    flood = "Too Many Requests: retry after 1"
    bot.api.faults.append(Fault("editMessageText", 429, flood, {"retry_after": 1}, GROUP))

    await _reserve_direct(bot, posted, 2001)
    await bot.flush()

    refused, done = bot.api.edits(GROUP, ok_only=False)
    assert refused.status == 429
    assert done.ok
    assert done.at - refused.at >= 1.0
    assert "1 paying now" in done.text


async def test_an_edit_answered_chat_migrated_reposts_in_the_new_chat(bot: BotRig) -> None:
    posted = await bot.post("/split 100 4 Dinner")
    bot.api.migrate(GROUP, NEW_GROUP)  # the bot has not seen the service message

    await _reserve_direct(bot, posted, 2001)
    await bot.flush()

    old = bot.api.edits(GROUP, ok_only=False)
    assert [c.status for c in old] == [400]
    # The old message stays in the old group: a fresh progress message goes to the new one.
    (fresh,) = bot.api.sent(NEW_GROUP, "sendMessage")
    assert "1 paying now" in fresh.text
    posts = await bot.rig.engine.posts_of(posted.order_id)
    assert [p.chat_id for p in posts] == [NEW_GROUP]
    assert posts[0].progress_message_id == fresh.result["message_id"]
    await bot.pay_checkout(await bot.reserve(BOB, posted.token))
    last = bot.api.edits(NEW_GROUP)[-1]
    assert last.params["message_id"] == fresh.result["message_id"]
    assert "Paid 1/4" in last.text
    assert [c.status for c in bot.api.edits(GROUP, ok_only=False)] == [400]
