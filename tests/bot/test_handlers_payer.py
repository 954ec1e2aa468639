"""Handler tests of the payer's private chat: order card, keypad, order password, checkout."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.views.texts import payer as texts_payer
from core.domain.model import OrderState, SubOrderState
from tests.support.ptb import (
    ANN,
    BOB,
    CID,
    DAN,
    GROUP,
    MEI,
    OTHER_PIN,
    PIN,
    BotRig,
    Call,
    running_bot,
)

WEAK = "123456"


def _texts(calls: list[Call]) -> str:
    return "\n".join(c.text for c in calls)


async def test_deep_link_shows_the_order_card_with_a_pay_button(bot: BotRig) -> None:
    posted = await bot.post("/split 100 4 Dinner")

    card = await bot.open_link(BOB, posted.token)

    assert card.chat_id == BOB.id
    assert "Dinner" in card.text
    assert "Collected by Ann" in card.text
    assert "25.00 USD" in card.text
    assert "4 of 4 parts still open" in card.text
    assert card.button("Pay")["callback_data"] == f"pay:{posted.token}"


async def test_an_unknown_link_says_it_is_not_valid(bot: BotRig) -> None:
    card = await bot.open_link(BOB, "no_such_token_at_all")
    assert "not valid" in card.text
    assert card.buttons == []


async def test_first_payment_sets_a_pin_twice_then_reserves_with_a_checkout_button(
    bot: BotRig,
) -> None:
    posted = await bot.post("/split 100 4 Dinner")
    await bot.start_paying(BOB, posted.token)
    pad = bot.keypad(BOB)
    assert "Set your 6-digit payment password" in pad.text

    first = await bot.enter(BOB, PIN)
    dots = [c.params.get("text") for c in first if c.method == "answerCallbackQuery"]
    assert dots == [texts_payer.pin_dots(n) for n in range(1, 7)]
    assert dots[-1] == "● ● ● ● ● ●"
    assert "Enter the same password again" in bot.api.edits(BOB.id)[-1].text

    await bot.enter(BOB, PIN)

    held = bot.api.last(BOB.id)
    assert "held for you" in held.text
    assert "25.00 USD" in held.text
    checkout = held.button("Pay 25.00 USD")["url"]
    assert checkout.startswith("https://pay.test/co")
    assert await bot.rig.engine.has_pin(f"tg:{BOB.id}")
    view = await bot.rig.engine.public_order(posted.token)
    assert [s.state for s in view.subs].count(SubOrderState.RESERVED) == 1
    _assert_pin_never_shown(bot, PIN)


def _assert_pin_never_shown(bot: BotRig, pin: str) -> None:
    assert all(pin not in text for text in bot.api.texts())
    assert all(len(data) <= len("k:0") for data in bot.api.callback_data() if data[:2] == "k:")
    assert all(pin not in data for data in bot.api.callback_data())


async def test_mismatched_second_entry_starts_the_pin_over(bot: BotRig) -> None:
    posted = await bot.post("/split 100 4 Dinner")
    await bot.start_paying(BOB, posted.token)
    await bot.enter(BOB, PIN)
    await bot.enter(BOB, OTHER_PIN)
    assert "did not match" in bot.api.edits(BOB.id)[-1].text
    assert not await bot.rig.engine.has_pin(f"tg:{BOB.id}")

    await bot.enter(BOB, OTHER_PIN)
    await bot.enter(BOB, OTHER_PIN)

    assert "held for you" in bot.api.last(BOB.id).text
    _assert_pin_never_shown(bot, OTHER_PIN)


async def test_a_weak_pin_is_refused(bot: BotRig) -> None:
    posted = await bot.post("/split 100 4 Dinner")
    await bot.start_paying(BOB, posted.token)
    await bot.enter(BOB, WEAK)
    await bot.enter(BOB, WEAK)

    refused = bot.api.edits(BOB.id)[-1]
    assert "too easy to guess" in refused.text
    assert "Set your 6-digit" in refused.text
    assert any(b.get("callback_data") == "k:1" for b in refused.buttons)
    assert not await bot.rig.engine.has_pin(f"tg:{BOB.id}")
    assert "held for you" not in _texts(bot.api.sent(BOB.id))


async def test_paying_sends_a_receipt_and_edits_the_progress_to_one_of_n(bot: BotRig) -> None:
    posted = await bot.post("/split 100 4 Dinner")
    held = await bot.reserve(BOB, posted.token)
    assert "1 paying now" in bot.api.edits(GROUP)[-1].text

    await bot.pay_checkout(held)

    receipt = bot.api.last(BOB.id)
    assert "Payment received" in receipt.text
    assert "25.00 USD" in receipt.text
    assert "Dinner" in receipt.text
    progress = bot.api.edits(GROUP)[-1]
    assert progress.params["message_id"] == posted.progress.message["message_id"]
    assert "Paid 1/4" in progress.text
    assert "✅ Bob" in progress.text
    assert "25.00 USD" in progress.text

    second = await bot.reserve(CID, posted.token, OTHER_PIN)
    await bot.pay_checkout(second)
    assert "Paid 2/4" in bot.api.edits(GROUP)[-1].text
    assert "Bob, Cid" in bot.api.edits(GROUP)[-1].text
    assert "Payment received" in bot.api.last(CID.id).text
    _assert_pin_never_shown(bot, PIN)
    _assert_pin_never_shown(bot, OTHER_PIN)


async def test_the_last_payment_completes_the_order_and_tells_group_and_payee(
    bot: BotRig,
) -> None:
    posted = await bot.post("/split 20 1 Taxi")
    await bot.pay_checkout(await bot.reserve(BOB, posted.token))

    assert "all" in bot.api.last(GROUP).text or "🎉" in bot.api.last(GROUP).text
    assert "🎉" in bot.api.last(GROUP).text
    assert "20.00 USD" in bot.api.last(GROUP).text
    totals = bot.api.last(ANN.id)
    assert "Taxi" in totals.text
    assert "1/1" in totals.text
    assert "Bob" in totals.text
    final = bot.api.edits(GROUP)[-1]
    assert "Complete" in final.text
    assert final.buttons == []


async def test_an_order_password_is_asked_after_the_pin_and_a_wrong_one_again(
    bot: BotRig,
) -> None:
    await bot.send(ANN, "/split 100 2 Dinner password", GROUP)
    await bot.send(ANN, "tiramisu42")
    token = (await bot.rig.engine.open_orders_in_chat(GROUP))[0][1].order.token
    card = await bot.open_link(BOB, token)
    assert "has a password" in card.text
    await bot.press(BOB, card, f"pay:{token}")
    await bot.enter(BOB, PIN)
    await bot.enter(BOB, PIN)
    assert "order password" in bot.api.last(BOB.id).text

    wrong = await bot.send(BOB, "gelato")

    assert [c.method for c in wrong] == ["deleteMessage", "sendMessage"]
    assert "wrong" in wrong[-1].text
    right = await bot.send(BOB, "tiramisu42")
    assert right[0].method == "deleteMessage"
    assert "held for you" in bot.api.last(BOB.id).text
    assert all("tiramisu42" not in c.text for c in bot.api.sent(GROUP) + bot.api.edits())


async def test_named_payers_only_and_someone_else_is_told_it_is_not_for_them(
    bot: BotRig,
) -> None:
    posted = await bot.post("/split 60 @bob_lee @cid_rx Lunch")

    card = await bot.open_link(DAN, posted.token)

    assert "not one of them" in card.text
    assert card.buttons == []
    assert "Ann" in card.text
    held = await bot.reserve(BOB, posted.token)
    await bot.pay_checkout(held)
    assert "Waiting for: @cid_rx" in bot.api.edits(GROUP)[-1].text
    view = await bot.rig.engine.public_order(posted.token)
    assert [s.payer_ref for s in view.subs if s.state == SubOrderState.PAID] == [f"tg:{BOB.id}"]


async def test_a_forwarded_pay_button_still_refuses_a_payer_not_named(bot: BotRig) -> None:
    posted = await bot.post("/split 60 @bob_lee @cid_rx Lunch")
    card = await bot.open_link(BOB, posted.token)
    forwarded = {**card.message, "chat": {"id": DAN.id, "type": "private"}}
    await bot.press(DAN, forwarded, card.button("Pay")["callback_data"])
    refused = bot.api.last(DAN.id)
    assert "not one of them" in refused.text
    assert "Ann" in refused.text
    assert refused.buttons == []


async def test_a_payer_who_already_paid_is_told_so(bot: BotRig) -> None:
    posted = await bot.post("/split 100 4 Dinner")
    await bot.pay_checkout(await bot.reserve(BOB, posted.token))

    card = await bot.open_link(BOB, posted.token)

    assert "already paid" in card.text
    assert card.buttons == []


async def test_a_full_order_reserves_nothing_more(bot: BotRig) -> None:
    posted = await bot.post("/split 20 2 Taxi")
    await bot.reserve(BOB, posted.token)
    await bot.reserve(CID, posted.token, OTHER_PIN)

    await bot.start_paying(DAN, posted.token)
    await bot.enter(DAN, PIN)
    await bot.enter(DAN, PIN)

    refused = bot.api.last(DAN.id)
    assert "nothing was reserved" in refused.text
    assert refused.buttons == []
    view = await bot.rig.engine.public_order(posted.token)
    assert all(s.payer_ref != f"tg:{DAN.id}" for s in view.subs)


async def test_a_completed_order_refuses_a_late_payer(bot: BotRig) -> None:
    posted = await bot.post("/split 20 1 Taxi")
    await bot.pay_checkout(await bot.reserve(BOB, posted.token))
    card = await bot.open_link(DAN, posted.token)
    assert "complete" in card.text
    assert card.buttons == []


async def test_a_cancelled_order_refuses_payers(bot: BotRig) -> None:
    posted = await bot.post("/split 20 2 Taxi")
    card = await bot.open_link(BOB, posted.token)
    for _ in range(2):  # Cancel, then confirm
        await bot.press(ANN, posted.progress, f"can:{posted.order_id}")

    assert "cancelled" in (await bot.open_link(DAN, posted.token)).text
    await bot.press(BOB, card, f"pay:{posted.token}")  # the card seen before the cancel
    assert "was cancelled" in bot.api.last(BOB.id).text
    assert not await bot.rig.engine.has_pin(f"tg:{BOB.id}")  # no keypad was shown
    assert bot.rig.gateway.checkouts == {}


async def test_an_expired_order_refuses_payers_and_the_progress_says_so(bot: BotRig) -> None:
    posted = await bot.post("/split 20 2 Taxi expires=30m")
    bot.rig.clock.advance(minutes=31)
    await bot.rig.engine.tick()
    await bot.flush()

    assert "Expired" in bot.api.edits(GROUP)[-1].text
    assert "expired" in (await bot.open_link(BOB, posted.token)).text
    order = (await bot.rig.engine.public_order(posted.token)).order
    assert order.state == OrderState.EXPIRED


async def test_five_wrong_pins_lock_payments_even_in_a_new_application(
    bot: BotRig, tmp_path: Path
) -> None:
    posted = await bot.post("/split 100 4 Dinner")
    await bot.pay_checkout(await bot.reserve(BOB, posted.token))
    second = await bot.post("/split 50 2 Taxi")
    await bot.start_paying(BOB, second.token)
    for left in (4, 3, 2, 1):
        await bot.enter(BOB, OTHER_PIN)
        assert f"{left} tr" in bot.api.edits(BOB.id)[-1].text

    await bot.enter(BOB, OTHER_PIN)

    locked = bot.api.edits(BOB.id)[-1]
    assert "locked for 15 min" in locked.text
    assert locked.buttons == []
    async with running_bot(tmp_path, bot.rig) as fresh:
        await fresh.start_paying(BOB, second.token)
        await fresh.enter(BOB, PIN)  # the right one, but too late
        assert "locked" in fresh.api.edits(BOB.id)[-1].text
        assert "held for you" not in _texts(fresh.api.sent(BOB.id))


async def test_a_chinese_payer_reads_chinese(bot: BotRig) -> None:
    posted = await bot.post("/split 100 4 Dinner")
    card = await bot.open_link(MEI, posted.token)
    assert "25.00 USD" in card.text
    assert card.button("付款")["callback_data"].startswith("pay:")
    assert "Collected by" not in card.text

    held = await bot.reserve(MEI, posted.token)
    assert "为你保留" in held.text, held.text
    await bot.pay_checkout(held)
    receipt = bot.api.last(MEI.id)
    assert "Payment received" not in receipt.text
    assert "25.00 USD" in receipt.text


@pytest.mark.parametrize("data", ["pay:", "pay:no_such_token"])
async def test_a_forged_pay_button_ends_in_a_clear_message(bot: BotRig, data: str) -> None:
    await bot.post("/split 100 4 Dinner")
    card = await bot.open_link(BOB, "nothing")
    await bot.press(BOB, card, data)
    assert "not valid" in bot.api.last(BOB.id).text
    assert bot.rig.gateway.checkouts == {}


async def test_a_key_without_a_keypad_flow_is_answered(bot: BotRig) -> None:
    card = await bot.open_link(BOB, "nothing")
    answer = await bot.press(BOB, card, "k:1")
    assert answer.params.get("show_alert") is True


async def test_a_lapsed_hold_is_given_back_and_the_progress_shows_it(bot: BotRig) -> None:
    posted = await bot.post("/split 100 4 Dinner")
    await bot.reserve(BOB, posted.token)
    assert "1 paying now" in bot.api.edits(GROUP)[-1].text
    hold_s = (await bot.rig.engine.public_order(posted.token)).order.hold_s
    bot.rig.clock.advance(seconds=hold_s + 1)

    await bot.rig.engine.tick()
    await bot.flush()

    assert "paying now" not in bot.api.edits(GROUP)[-1].text
    view = await bot.rig.engine.public_order(posted.token)
    assert all(s.state == SubOrderState.AVAILABLE for s in view.subs)


async def test_the_keypad_message_shows_dots_never_digits(bot: BotRig) -> None:
    posted = await bot.post("/split 20 2 Taxi")
    await bot.start_paying(BOB, posted.token)
    pad = bot.keypad(BOB)
    mark = bot.api.mark()
    first = await bot.press(BOB, pad, "k:7")
    assert first.params["text"] == "● ○ ○ ○ ○ ○"  # the answer to the press, at once
    (edit,) = [c for c in bot.api.since(mark) if c.method == "editMessageText"]
    assert "● ○ ○ ○ ○ ○" in edit.text  # and the message itself
    await bot.press(BOB, pad, "k:3")  # within 2 s: only the answer changes
    assert [c.method for c in bot.api.since(mark)].count("editMessageText") == 1
    for call in bot.api.since(mark):
        assert "7" not in str(call.params.get("text", "")).replace("○", "").replace("●", "")


async def test_a_keypad_press_after_the_password_was_verified_is_refused(bot: BotRig) -> None:
    posted = await bot.post("/split 100 4 Dinner")
    held = await bot.reserve(BOB, posted.token)
    answer = await bot.press(BOB, bot.keypad(BOB), "k:1")  # no keypad dialog ENTERING
    assert answer.params.get("show_alert") is True
    assert (
        answer.params.get("text")
        == "Something went wrong on my side. Nothing was charged; please try again."
    )
    assert bot.api.last(BOB.id) == held
