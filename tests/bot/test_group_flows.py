"""Group flows that outlive one update: the automatic reminder across a migration and a
restart, the "open the bot" hint kept after /start, and a posting failure half-way."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from telegram.ext import Job

from tests.support.ptb import ANN, BOB, GROUP, BotRig, Fault, running_bot

NEW_GROUP = -1004001
GROUP2 = -4002


def _jobs(bot: BotRig, order_id: str) -> list[Job[Any]]:
    queue = bot.app.job_queue
    assert queue is not None
    return list(queue.get_jobs_by_name(f"remind:{order_id}"))


# ---- reminders ----


async def test_the_automatic_reminder_follows_the_group_into_its_supergroup(
    bot: BotRig,
) -> None:
    posted = await bot.post("/split 90 3 Dinner expires=5h")
    bot.api.migrate(GROUP, NEW_GROUP)
    await bot.service(ANN, GROUP, migrate_to_chat_id=NEW_GROUP)
    (job,) = _jobs(bot, posted.order_id)  # its data still says (order, GROUP)

    await job.run(bot.app)
    await bot.flush()

    reminders = [c for c in bot.api.sent(NEW_GROUP) if "Reminder" in c.text]
    assert len(reminders) == 1, [c.text for c in bot.api.calls[-5:]]


async def test_a_reminder_that_fell_due_while_the_bot_was_down_is_scheduled_at_start_up(
    tmp_path: Path,
) -> None:
    async with running_bot(tmp_path) as first:
        rig = first.rig
        rig.clock.at = datetime.now(UTC) - timedelta(hours=3, minutes=30)
        posted = await first.post("/split 90 3 Dinner expires=5h")  # 1.5 h left now

    async with running_bot(tmp_path, rig) as second:
        # The overdue reminder is sent at start-up (or scheduled to run now).
        assert len(_jobs(second, posted.order_id)) == 1


# ---- the 'open the bot' hint keeps its promise ----


async def test_a_payee_who_opens_the_bot_from_the_hint_is_asked_for_the_password(
    bot: BotRig,
) -> None:
    bot.api.never_started.add(ANN.id)
    await bot.send(ANN, "/split 100 2 Dinner password", GROUP)
    bot.api.never_started.discard(ANN.id)  # Ann presses the button, then Start

    started = await bot.send(ANN, "/start hello")

    # The bot keeps its promise: it asks for the order password now, so the next line
    # Ann types is the answer to a question she can see.
    assert any("password" in c.text for c in started if c.chat_id == ANN.id), [
        (c.method, c.text[:60]) for c in started
    ]


async def test_the_totals_promised_by_the_hint_arrive_after_start(bot: BotRig) -> None:
    bot.api.never_started.add(ANN.id)
    posted = await bot.post("/split 20 1 Taxi")
    await bot.pay_checkout(await bot.reserve(BOB, posted.token))
    assert "I will tell you there" in bot.api.last(GROUP).text
    bot.api.never_started.discard(ANN.id)

    calls = await bot.send(ANN, "/start hello")

    told = [c for c in calls if c.chat_id == ANN.id and "Taxi" in c.text]
    assert told, [c.text[:60] for c in calls]


# ---- a failure half-way through posting ----


async def test_a_failed_progress_message_cancels_the_order_and_deletes_its_qr_card(
    bot: BotRig,
) -> None:
    bot.api.faults.append(Fault("sendMessage", 502, "Bad Gateway", chat_id=GROUP))

    calls = await bot.send(ANN, "/split 90 3 Dinner", GROUP)
    bot.errors.clear()  # the handler raised; the error handler's reply also went to GROUP

    assert [c.method for c in calls if c.ok and c.chat_id == GROUP][:1] == ["sendPhoto"]
    ann = await bot.rig.engine.payee_named(f"tg:{ANN.id}")
    (order,), _ = await bot.rig.engine.list_orders(ann, 10, 0)
    # Half a post is undone: the order is cancelled and its QR card deleted, so nothing
    # payable is left untracked; the payee is told to try again.
    assert order.state == "cancelled"
    assert any(c.method == "deleteMessage" for c in calls)
