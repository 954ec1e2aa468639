"""Group commands at their edges: /status with many orders, a manual reminder beside the
automatic one, an anonymous admin, and uneven shares."""

from __future__ import annotations

from typing import Any

from telegram.ext import Job

from tests.support.harness import request
from tests.support.ptb import ANN, BOB, GROUP, BotRig, Person

ANONYMOUS_ADMIN = Person(1087968824, "Group", "GroupAnonymousBot")  # Telegram's stand-in


def _jobs(bot: BotRig, order_id: str) -> list[Job[Any]]:
    queue = bot.app.job_queue
    assert queue is not None
    return list(queue.get_jobs_by_name(f"remind:{order_id}"))


async def test_status_with_many_open_orders_fits_telegrams_4096_characters(
    bot: BotRig,
) -> None:
    title = "Weekly football pitch booking for the Saturday morning league, north field"
    ann = await bot.rig.engine.payee_named(f"tg:{ANN.id}")
    for i in range(30):  # posted over the weeks; made here without the Bot API
        view = await bot.rig.engine.create_order(ann, request("50", 10, title=f"{title} {i}"))
        await bot.rig.engine.attach_post(view.order.id, GROUP, None, 9000 + i)
    bot._events_seen = len(bot.rig.notifier.events)  # not this test's subject

    calls = await bot.send(BOB, "/status", GROUP)

    (reply,) = [c for c in calls if c.method == "sendMessage" and c.chat_id == GROUP]
    # The emulator keeps the text as sent, tags included: longer than the text after entity
    # parsing, which Telegram counts, so a pass here is a pass on Telegram.
    shown = str(reply.message["text"])
    assert len(shown) <= 4096, len(shown)  # Telegram: 400 "message is too long"


async def test_a_manual_reminder_leaves_the_automatic_one_due(bot: BotRig) -> None:
    """The spec: one automatic reminder before the deadline, and the payee may send one more."""
    posted = await bot.post("/split 90 3 Dinner expires=1d")
    await bot.press(ANN, posted.progress, f"rem:{posted.order_id}")  # early, the same evening
    (job,) = _jobs(bot, posted.order_id)
    before = len([c for c in bot.api.sent(GROUP) if "Reminder" in c.text])

    await job.run(bot.app)  # 2 h before the deadline
    await bot.flush()

    after = len([c for c in bot.api.sent(GROUP) if "Reminder" in c.text])
    assert after == before + 1, (before, after)


async def test_an_anonymous_admin_is_refused_an_order_nobody_could_manage(
    bot: BotRig,
) -> None:
    """In a group, an admin posting anonymously is 'GroupAnonymousBot' (the same id in every
    group); the callback queries of that same admin come from their real account."""
    calls = await bot.send(ANONYMOUS_ADMIN, "/split 90 3 Dinner", GROUP)
    # Refused with a clear message: nobody could manage an order made by a shared id.
    (reply,) = [c for c in calls if c.method == "sendMessage" and c.chat_id == GROUP]
    assert "Anonymous admins cannot collect money" in reply.text
    assert not any(c.method == "sendPhoto" for c in calls)
    assert await bot.rig.engine.open_orders_in_chat(GROUP) == []


async def test_uneven_shares_the_card_shows_the_amount_that_is_held(
    bot: BotRig,
) -> None:
    posted = await bot.post("/split 240 2:1:1 Dinner")

    card = await bot.open_link(BOB, posted.token)
    held = await bot.reserve(BOB, posted.token)

    # The card quotes the smallest open part; the engine holds the first open part.
    assert ("60.00" in card.text) == ("60.00" in held.text), (card.text, held.text)
