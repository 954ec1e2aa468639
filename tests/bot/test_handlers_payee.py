"""Handler tests of the payee's side: /split, /collect, bad input, password, buttons, /status."""

from __future__ import annotations

import pytest

from core.domain.model import Mode, OrderState
from tests.support.harness import dump
from tests.support.ptb import ANN, BOB, BOT_USERNAME, GROUP, LINK_PREFIX, MEI, BotRig, Call


def _only_group_reply(calls: list[Call]) -> Call:
    sent = [c for c in calls if c.method in ("sendMessage", "sendPhoto")]
    assert len(sent) == 1, sent
    assert sent[0].chat_id == GROUP
    return sent[0]


async def test_split_equal_posts_card_then_progress_with_pay_link_and_payee_buttons(
    bot: BotRig,
) -> None:
    posted = await bot.post("/split 100 3 Dinner at Luigi's")

    assert posted.photo.files == ("photo",)
    assert posted.photo.params["caption"] == "Dinner at Luigi's"
    progress = posted.progress
    assert "Dinner at Luigi's" in progress.text
    assert "Paid 0/3" in progress.text
    assert "100.00 USD" in progress.text
    pay = progress.button("Pay")["url"]
    assert pay == f"https://t.me/{BOT_USERNAME}?start={posted.token}"
    assert progress.button("Remind")["callback_data"] == f"rem:{posted.order_id}"
    assert progress.button("Cancel")["callback_data"] == f"can:{posted.order_id}"
    view = await bot.rig.engine.public_order(posted.token)
    assert [s.amount_minor for s in view.subs] == [3334, 3333, 3333]
    assert view.order.title == "Dinner at Luigi's"
    posts = await bot.rig.engine.posts_of(posted.order_id)
    assert [(p.chat_id, p.progress_message_id) for p in posts] == [
        (GROUP, progress.message["message_id"])
    ]
    assert bot.api.edits() == []  # the message just sent is not edited to the same text


async def test_split_by_shares(bot: BotRig) -> None:
    posted = await bot.post("/split 100 2:1:1 Rent")
    view = await bot.rig.engine.public_order(posted.token)
    assert [s.amount_minor for s in view.subs] == [5000, 2500, 2500]


async def test_split_among_named_payers_counts_me_as_the_payee(bot: BotRig) -> None:
    posted = await bot.post("/split 90 @Bob_Lee @cid_rx me Lunch")
    view = await bot.rig.engine.public_order(posted.token)
    assert [s.assignee for s in view.subs] == ["@bob_lee", "@cid_rx", f"tg:{ANN.id}"]
    assert [s.amount_minor for s in view.subs] == [3000] * 3
    assert "Waiting for: @bob_lee, @cid_rx, Ann" in posted.progress.text
    assert "tg:" not in posted.progress.text
    await bot.press(ANN, posted.progress, f"rem:{posted.order_id}")
    reminder = bot.api.last(GROUP)
    assert "Still to pay: @bob_lee, @cid_rx, Ann" in reminder.text
    assert "tg:" not in reminder.text


async def test_split_options_expiry_mode_and_currency(bot: BotRig) -> None:
    posted = await bot.post("/split 90 3 Trip expires=3h mode=all currency=EUR")
    order = (await bot.rig.engine.public_order(posted.token)).order
    assert order.currency.code == "EUR"
    assert order.mode == Mode.ALL
    assert (order.expires_at - order.created_at).total_seconds() == 3 * 3600
    assert "90.00 EUR" in posted.progress.text
    assert "All or nothing" in posted.progress.text


async def test_split_addressed_to_the_bot_by_name(bot: BotRig) -> None:
    posted = await bot.post(f"/split@{BOT_USERNAME} 20 2 Taxi")
    assert (await bot.rig.engine.public_order(posted.token)).order.total_minor == 2000


async def test_collect_asks_a_fixed_amount_of_each(bot: BotRig) -> None:
    posted = await bot.post("/collect 15 4 Tickets")
    view = await bot.rig.engine.public_order(posted.token)
    assert [s.amount_minor for s in view.subs] == [1500] * 4
    assert "60.00 USD" in posted.progress.text


@pytest.mark.parametrize(
    ("command", "says"),
    [
        ("/split", "Amount"),
        ("/split abc 3", "Amount"),
        ("/split -5 2", "Amount"),
        ("/split 10 0", "Payers"),
        ("/split 0.001 2", "Amount"),
        ("/split 1 500", "Payers"),
        ("/split 10 2 expires=99y", "Expiry"),
        ("/split 10 2 color=red", "color"),
        ("/collect", "Amount"),
        ("/collect 5 abc", "Payers"),
    ],
)
async def test_bad_input_gets_one_line_and_an_example_and_creates_nothing(
    bot: BotRig, command: str, says: str
) -> None:
    before = await dump(bot.rig.store)

    reply = _only_group_reply(await bot.send(ANN, command, GROUP))

    first, _, example = reply.text.partition("\n")
    assert first.startswith("⚠️"), reply.text
    assert says.lower() in first.lower(), reply.text
    assert "\n" not in example
    assert example.startswith("Example: <code>/")
    assert reply.buttons == []
    assert await dump(bot.rig.store) == before


async def test_bad_input_in_chinese(bot: BotRig) -> None:
    reply = _only_group_reply(await bot.send(MEI, "/split abc 3", GROUP))
    assert reply.text.startswith("⚠️ 金额"), reply.text
    assert "示例" in reply.text


# ---- the order password, asked in private ----


async def test_password_is_asked_in_private_and_never_shown_in_the_group(bot: BotRig) -> None:
    calls = await bot.send(ANN, "/split 100 2 Dinner password", GROUP)
    assert [c.chat_id for c in calls if c.method == "sendMessage"] == [ANN.id]
    assert "order password" in calls[-1].text
    assert await bot.rig.engine.open_orders_in_chat(GROUP) == []

    typed = await bot.send(ANN, "tiramisu42")

    deleted = [c for c in typed if c.method == "deleteMessage"]
    assert len(deleted) == 1
    assert deleted[0].chat_id == ANN.id
    group = [c for c in typed if c.chat_id == GROUP]
    assert [c.method for c in group] == ["sendPhoto", "sendMessage"]
    assert "set" in bot.api.last(ANN.id).text
    assert all("tiramisu42" not in text for text in bot.api.texts())
    token = group[1].button("Pay")["url"].removeprefix(LINK_PREFIX)
    assert (await bot.rig.engine.public_order(token)).order.has_password


async def test_a_too_short_order_password_is_asked_again(bot: BotRig) -> None:
    await bot.send(ANN, "/split 100 2 Dinner password", GROUP)
    again = await bot.send(ANN, "abc")
    assert [c.chat_id for c in again if c.method == "sendMessage"] == [ANN.id]
    assert await bot.rig.engine.open_orders_in_chat(GROUP) == []
    await bot.send(ANN, "abcd1234")
    assert len(await bot.rig.engine.open_orders_in_chat(GROUP)) == 1


async def test_password_split_by_a_payee_who_never_started_the_bot_gets_a_hint(
    bot: BotRig,
) -> None:
    bot.api.never_started.add(ANN.id)
    calls = await bot.send(ANN, "/split 100 2 Dinner password", GROUP)
    hint = bot.api.last(GROUP)
    assert "can't message you privately" in hint.text
    assert "Ann" in hint.text
    assert hint.button("Open Chipin")["url"].startswith(LINK_PREFIX)
    assert [c.method for c in calls if c.ok and c.chat_id == GROUP] == ["sendMessage"]
    assert await bot.rig.engine.open_orders_in_chat(GROUP) == []


# ---- Remind and Cancel ----


async def test_remind_sends_one_reminder_and_a_second_within_the_hour_is_refused(
    bot: BotRig,
) -> None:
    posted = await bot.post("/split 100 2 Dinner")
    mark = bot.api.mark()

    answer = await bot.press(ANN, posted.progress, f"rem:{posted.order_id}")

    assert answer.params.get("text") == "Reminder sent."
    reminders = [c for c in bot.api.since(mark) if c.method == "sendMessage"]
    assert len(reminders) == 1
    assert reminders[0].chat_id == GROUP
    assert "Reminder" in reminders[0].text
    assert "2 parts are still open" in reminders[0].text
    assert reminders[0].button("Pay")["url"] == f"{LINK_PREFIX}{posted.token}"

    again = await bot.press(ANN, posted.progress, f"rem:{posted.order_id}")
    assert again.params.get("show_alert") is True
    assert "already sent a reminder" in again.params["text"]
    assert len(bot.api.sent(GROUP)) == 3  # card, progress, one reminder


async def test_cancel_by_the_payee_cancels_and_the_progress_says_so(bot: BotRig) -> None:
    posted = await bot.post("/split 100 2 Dinner")

    first = await bot.press(ANN, posted.progress, f"can:{posted.order_id}")
    assert "Press Cancel again within 30 s" in first.params["text"]  # a confirmation first
    assert (await bot.rig.engine.public_order(posted.token)).order.state == OrderState.OPEN
    answer = await bot.press(ANN, posted.progress, f"can:{posted.order_id}")

    assert answer.params["text"].startswith("Order cancelled")
    order = (await bot.rig.engine.public_order(posted.token)).order
    assert order.state == OrderState.CANCELLED
    last = bot.api.edits(GROUP)[-1]
    assert last.params["message_id"] == posted.progress.message["message_id"]
    assert "Cancelled" in last.text
    assert last.buttons == []
    again = await bot.press(ANN, posted.progress, f"can:{posted.order_id}")
    assert again.params.get("show_alert") is True
    assert "cancelled" in again.params["text"]


@pytest.mark.parametrize("button", ["rem", "can"])
async def test_only_the_payee_may_press_remind_or_cancel(bot: BotRig, button: str) -> None:
    posted = await bot.post("/split 100 2 Dinner")
    mark = bot.api.mark()

    answer = await bot.press(BOB, posted.progress, f"{button}:{posted.order_id}")

    assert answer.params["show_alert"] is True
    assert answer.params["text"] == "Only the person collecting can do that."
    assert [c.method for c in bot.api.since(mark)] == ["answerCallbackQuery"]
    order = (await bot.rig.engine.public_order(posted.token)).order
    assert order.state == OrderState.OPEN
    assert all(p.reminded_at is None for p in await bot.rig.engine.posts_of(order.id))


@pytest.mark.parametrize("data", ["can:ord_999999", "rem:", "can:", "can:ord_000002:x", "rem:%"])
async def test_forged_button_data_is_refused_safely(bot: BotRig, data: str) -> None:
    posted = await bot.post("/split 100 2 Dinner")
    mark = bot.api.mark()

    answer = await bot.press(ANN, posted.progress, data)

    assert answer.params.get("show_alert") is True
    assert [c.method for c in bot.api.since(mark)] == ["answerCallbackQuery"]
    assert (await bot.rig.engine.public_order(posted.token)).order.state == OrderState.OPEN


async def test_another_payees_order_id_under_ones_own_message_is_refused(bot: BotRig) -> None:
    mine = await bot.post("/split 100 2 Dinner")
    theirs = await bot.post("/split 50 2 Taxi", user=BOB)

    answer = await bot.press(ANN, mine.progress, f"can:{theirs.order_id}")

    assert answer.params["text"] == "Only the person collecting can do that."
    assert (await bot.rig.engine.public_order(theirs.token)).order.state == OrderState.OPEN


# ---- /status ----


async def test_status_lists_the_open_orders_of_this_chat_only(bot: BotRig) -> None:
    empty = _only_group_reply(await bot.send(BOB, "/status", GROUP))
    assert "No open orders" in empty.text
    await bot.post("/split 100 2 Dinner")
    await bot.post("/collect 5 3 Tickets", user=BOB)
    await bot.post("/split 30 3 Elsewhere", chat_id=-4002)
    cancelled = await bot.post("/split 40 2 Gone")
    for _ in range(2):  # Cancel, then confirm
        await bot.press(ANN, cancelled.progress, f"can:{cancelled.order_id}")

    reply = _only_group_reply(await bot.send(BOB, "/status", GROUP))

    assert "2 open orders" in reply.text
    assert "Dinner" in reply.text
    assert "Tickets" in reply.text
    assert "Elsewhere" not in reply.text
    assert "Gone" not in reply.text
    assert "0/2 paid" in reply.text
