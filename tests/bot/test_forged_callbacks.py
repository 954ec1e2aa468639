"""Forged callbacks: the data is chosen by the client, and the message it comes from too.

Telegram warns that a callback query's data need not match any button of the message it
comes from (a modified client, or a user account driven by Telethon, can send any data on
any bot message it can see). The keypad, history and cancel handlers must not trust
`query.message` to be the private message they sent, nor its buttons to be current.
"""

from __future__ import annotations

import pytest

from core.domain.model import OrderState
from tests.support.ptb import ANN, BOB, CID, GROUP, PIN, BotRig


async def test_a_forged_history_button_on_the_group_progress_message_leaves_it_alone(
    bot: BotRig,
) -> None:
    posted = await bot.post("/split 100 4 Dinner")

    await bot.press(BOB, posted.progress, "h:0")  # Bob's client sends h:0 on the group message

    # The group's progress message is left alone (history lives in private chats).
    changed = [
        c
        for c in bot.api.edits(GROUP)
        if c.params["message_id"] == posted.progress.message["message_id"]
    ]
    assert changed == [], [c.text for c in changed]


async def test_a_forged_keypad_key_on_the_group_progress_message_puts_no_keypad_in_the_group(
    bot: BotRig,
) -> None:
    posted = await bot.post("/split 100 4 Dinner")
    await bot.start_paying(BOB, posted.token)  # a keypad flow is open in Bob's private chat

    for digit in PIN:  # ...but the keys are sent on the group's progress message
        await bot.press(BOB, posted.progress, f"k:{digit}")

    group_edits = bot.api.edits(GROUP)
    keypads = [
        c
        for c in group_edits
        if any(str(b.get("callback_data", "")).startswith("k:") for b in c.buttons)
    ]
    # No keypad, and no keypad text, ever appears in a group.
    assert keypads == [], [c.text for c in keypads]


async def test_a_stale_cancel_button_leaves_a_completed_order_completed(
    bot: BotRig,
) -> None:
    """The keyboard is taken off only by the coalesced progress edit (up to 3 s later, or
    never if that edit fails); a payee's tap on the old Cancel in that window must not
    refund every payer after the group was told '🎉 all paid'.
    """
    posted = await bot.post("/split 20 1 Taxi")
    await bot.pay_checkout(await bot.reserve(BOB, posted.token))
    view = await bot.rig.engine.order_view(posted.order_id)
    assert view is not None
    assert view.order.state is OrderState.COMPLETED

    await bot.press(ANN, posted.progress, f"can:{posted.order_id}")

    view = await bot.rig.engine.order_view(posted.order_id)
    assert view is not None
    assert view.order.state is OrderState.COMPLETED, (view.order.state, view.order.refunded_minor)


async def test_an_order_that_completes_while_cancel_is_confirmed_is_left_completed(
    bot: BotRig, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The second Cancel press reads the order open; the last payment settles before the
    cancel reaches the store. Nobody is refunded: the bot cancels only an open order."""
    posted = await bot.post("/split 20 1 Taxi")
    checkout = await bot.reserve(BOB, posted.token)
    await bot.press(ANN, posted.progress, f"can:{posted.order_id}")  # the first press
    deps = bot.deps
    confirm = deps.pressed_again

    async def paid_meanwhile(user_id: int, button: str) -> bool:
        confirmed = await confirm(user_id, button)
        await bot.pay_checkout(checkout)  # settles while the handler runs
        return confirmed

    monkeypatch.setattr(deps, "pressed_again", paid_meanwhile)
    await bot.press(ANN, posted.progress, f"can:{posted.order_id}")

    view = await bot.rig.engine.order_view(posted.order_id)
    assert view is not None
    assert view.order.state is OrderState.COMPLETED
    assert view.order.refunded_minor == 0


async def test_keys_sent_on_another_users_keypad_type_nothing_into_it(bot: BotRig) -> None:
    """Cid's client sends keypad keys on Bob's keypad message (Cid has a flow of his own).

    A key counts only in the presser's own private chat, for the presser's own
    flow; Bob's message is not edited and his password entry is not touched.
    """
    first = await bot.post("/split 100 4 Dinner")
    await bot.reserve(BOB, first.token)  # Bob has a payment password now
    second = await bot.post("/split 60 3 Taxi")
    await bot.start_paying(BOB, second.token)
    await bot.start_paying(CID, second.token)
    bobs_pad = bot.keypad(BOB)
    mark = bot.api.mark()

    for digit in "135790":
        await bot.press(CID, bobs_pad, f"k:{digit}")

    assert [c for c in bot.api.since(mark) if c.chat_id == BOB.id] == []
    assert [c.method for c in bot.api.since(mark)] == ["answerCallbackQuery"] * 6
    await bot.enter(BOB, PIN)  # Bob's six digits alone make his password
    assert "held for you" in bot.api.last(BOB.id).text
