"""The automatic reminder: on the JobQueue 2 h before the deadline, rebuilt at start-up."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path
from typing import Any

from telegram.ext import Job

from tests.support.ptb import GROUP, BotRig, running_bot


def _jobs(bot: BotRig, order_id: str) -> list[Job[Any]]:
    queue = bot.app.job_queue
    assert queue is not None
    return list(queue.get_jobs_by_name(f"remind:{order_id}"))


async def test_a_reminder_is_scheduled_two_hours_before_the_deadline(bot: BotRig) -> None:
    posted = await bot.post("/split 90 3 Dinner expires=5h")
    (job,) = _jobs(bot, posted.order_id)
    view = await bot.rig.engine.order_view(posted.order_id)
    assert view is not None
    when = job.job.trigger.run_date  # a one-off (DateTrigger) job; the queue is not started here
    assert abs(when - (view.order.expires_at - timedelta(hours=2))) < timedelta(seconds=5)

    await job.run(bot.app)
    await bot.flush()
    reminder = bot.api.sent(GROUP, "sendMessage")[-1]
    assert "Reminder" in reminder.text
    assert "3 parts are still open" in reminder.text
    (post,) = await bot.rig.engine.posts_of(posted.order_id)
    assert post.reminded_at is not None


async def test_a_short_order_gets_no_automatic_reminder(bot: BotRig) -> None:
    posted = await bot.post("/split 90 3 Taxi expires=90m")
    assert _jobs(bot, posted.order_id) == []


async def test_reminders_are_rebuilt_after_a_restart(tmp_path: Path) -> None:
    async with running_bot(tmp_path) as first:
        posted = await first.post("/split 90 3 Dinner expires=5h")
        rig = first.rig
    async with running_bot(tmp_path, rig) as second:
        assert len(_jobs(second, posted.order_id)) == 1
