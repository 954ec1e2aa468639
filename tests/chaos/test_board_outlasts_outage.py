"""Regression: a progress message whose edits keep failing (Telegram down for longer than a
few tries) still ends up showing its order's final state.

The board used to give up after five failed edits "until the next change"; a completed
order has no next change, so its message kept showing 'Paid 1/2' for good.
"""

from __future__ import annotations

from pathlib import Path

from tests.support.ptb import GROUP, Fault, running_bot

DOWN = Fault("editMessageText", 500, "Internal Server Error", chat_id=GROUP)


async def test_the_final_state_arrives_after_more_failed_edits_than_any_retry_budget(
    tmp_path: Path,
) -> None:
    async with running_bot(tmp_path, edit_interval_s=0.001) as bot:
        posted = await bot.post("/split 100 2 Dinner")
        bot.api.faults.extend([DOWN] * 12)  # Telegram answers 500 to the next twelve edits

        for who in ("tg:2001", "tg:2002"):
            held = await bot.rig.engine.reserve(posted.token, who, payer_name=who, source=who)
            assert held.sub.checkout_ref is not None
            await bot.rig.engine.apply_event(bot.rig.gateway.pay(held.sub.checkout_ref))
            await bot.flush(drain=False)
        await bot.board.drain()
        tried = bot.api.edits(GROUP, ok_only=False)

    assert [c.status for c in tried].count(500) == 12
    assert "Paid 2/2" in tried[-1].text
    assert "Complete" in tried[-1].text
    assert tried[-1].ok
