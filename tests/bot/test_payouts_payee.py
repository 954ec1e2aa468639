"""Handler tests of the payee's own Stripe account (/payouts, Stripe Connect): connecting on
Stripe's sign-up, the account's state in words, disconnecting after a confirmation, the
letters when Stripe changes the account, and the group's progress message while the
order's card payments are paused."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime
from pathlib import Path

import pytest

from core.domain.payouts import PayoutState
from tests.bot.connect import (
    ConnectBot,
    account_id,
    bot_with_connect,
    connected,
    hold_by_card,
    stripe_says,
)
from tests.support.ptb import ANN, BOB, GROUP, MEI, BotRig, Call

PAUSED = "💳 Card payments are paused: "


@pytest.fixture
async def connect(tmp_path: Path) -> AsyncIterator[ConnectBot]:
    """Stripe Connect on, with a platform fee of 2.5 %."""
    async with bot_with_connect(tmp_path, fee_bps=250) as c:
        yield c


def _labels(call: Call) -> list[str]:
    return [str(b["text"]) for b in call.buttons]


async def _state(bot: BotRig) -> PayoutState | None:
    payee = await bot.rig.engine.payee_named(f"tg:{ANN.id}")
    account = await bot.rig.engine.payout_account(payee)
    return account.state if account is not None else None


# ---- /payouts ----


async def test_without_an_account_payouts_explains_and_connect_sends_a_one_time_link(
    connect: ConnectBot,
) -> None:
    bot = connect.bot
    listing = (await bot.send(ANN, "/payouts"))[-1]

    assert listing.text.splitlines() == [
        "💳 <b>Card payments straight to you.</b> Card payments of your orders can go straight "
        "into your own Stripe account instead of the operator's.",
        "You sign up on Stripe's own pages (an Express account): Chipin never sees your "
        "identity documents or bank details.",
        "The operator of this Chipin keeps a platform fee of 2.5% of each card payment into "
        "your account.",
    ]
    assert _labels(listing) == ["Connect Stripe"]

    answer = await bot.press(ANN, listing, listing.button("Connect Stripe")["callback_data"])

    assert answer.params.get("show_alert") is None
    link = bot.api.last(ANN.id)
    assert link.text.startswith("👇 Your link to Stripe's sign-up. It works once")
    assert link.buttons == [
        {"text": "Open Stripe sign-up", "url": "https://connect.example.test/onboard/1"}
    ]
    payee = await bot.rig.engine.payee_named(f"tg:{ANN.id}")
    assert connect.payouts.created == [(payee, None)]
    status = bot.api.edits(ANN.id)[-1]  # the /payouts message shows the new account
    assert "⏳ Finish Stripe's sign-up: until then payers cannot pay you by card" in status.text
    assert "🏦 Stripe does not pay out to your bank account yet." in status.text
    assert "Platform fee: 2.5% of each card payment." in status.text
    assert _labels(status) == ["Continue Stripe's sign-up", "Disconnect"]

    again = await bot.press(ANN, status, status.button("Continue")["callback_data"])

    assert again.params.get("show_alert") is None
    assert bot.api.last(ANN.id).buttons[0]["url"] == "https://connect.example.test/onboard/2"
    assert len(connect.payouts.created) == 1  # the same account, a fresh link


async def test_a_country_goes_to_stripe_and_a_bad_one_is_refused(connect: ConnectBot) -> None:
    bot = connect.bot
    refused = (await bot.send(ANN, "/payouts Germany"))[-1]

    assert refused.text == (
        "⚠️ Country: 'Germany' is not a country code; write two letters, like DE or US."
    )
    assert connect.payouts.created == []

    listing = (await bot.send(ANN, "/payouts de"))[-1]
    await bot.press(ANN, listing, listing.button("Connect Stripe")["callback_data"])

    assert [country for _payee, country in connect.payouts.created] == ["DE"]


async def test_an_enabled_account_reads_so_and_the_payee_is_told(connect: ConnectBot) -> None:
    bot = connect.bot
    await connected(connect)

    told = bot.api.last(ANN.id)
    assert told.text == "✅ <b>Your Stripe account takes card payments.</b>"
    status = (await bot.send(ANN, "/payouts"))[-1]
    assert status.text.splitlines() == [
        f"💳 <b>Your Stripe account</b> <code>{await account_id(bot)}</code>",
        "✅ Cards pay into your Stripe account.",
        "🏦 Stripe pays out to your bank account.",
        "Platform fee: 2.5% of each card payment.",
    ]
    assert _labels(status) == ["Disconnect"]


async def test_disconnect_asks_first_and_says_what_happens(connect: ConnectBot) -> None:
    bot = connect.bot
    await connected(connect)
    status = (await bot.send(ANN, "/payouts"))[-1]

    await bot.press(ANN, status, status.button("Disconnect")["callback_data"])

    confirm = bot.api.last(ANN.id)
    assert confirm.text.splitlines() == [
        "Disconnect your Stripe account from Chipin?",
        "• Card payments of your new orders go to the operator's account again.",
        "• Your open orders bound to this account stop taking cards: parts already paid stay "
        "paid, and their refunds still come out of this account.",
        "• You can connect it again with /payouts.",
    ]
    assert _labels(confirm) == ["Yes, disconnect", "Keep it connected"]
    assert await _state(bot) == PayoutState.ENABLED  # nothing yet

    await bot.press(ANN, confirm, confirm.button("Keep")["callback_data"])

    assert bot.api.edits(ANN.id)[-1].text == (
        "Nothing changed: your Stripe account stays connected."
    )
    assert await _state(bot) == PayoutState.ENABLED

    await bot.press(ANN, status, status.button("Disconnect")["callback_data"])
    confirm = bot.api.last(ANN.id)
    mark = bot.api.mark()
    await bot.press(ANN, confirm, confirm.button("Yes, disconnect")["callback_data"])

    edited = [c for c in bot.api.since(mark) if c.method == "editMessageText"]
    assert edited[-1].text == (
        "✖️ Disconnected. Card payments of your new orders go to the operator's account."
    )
    assert edited[-1].buttons == []
    assert bot.api.last(ANN.id).text.startswith(
        "✖️ <b>Your Stripe account is disconnected from Chipin.</b>"
    )
    assert await _state(bot) == PayoutState.DISCONNECTED
    twice = await bot.press(ANN, confirm, confirm.button("Yes, disconnect")["callback_data"])
    assert twice.params["text"] == "You have no Stripe account connected."
    status = (await bot.send(ANN, "/payouts"))[-1]
    assert "✖️ Disconnected: card payments of your new orders go to the operator's account." in (
        status.text
    )
    assert _labels(status) == ["Reconnect"]


async def test_only_the_payee_presses_their_buttons(connect: ConnectBot) -> None:
    bot = connect.bot
    posted = await bot.post("/split 90 3 Dinner")

    answer = await bot.press(BOB, posted.progress, "po:y")

    assert answer.params["text"] == "Only the person collecting can do that."
    assert connect.payouts.created == []


async def test_payouts_says_so_when_connect_is_not_set_up(tmp_path: Path) -> None:
    async with bot_with_connect(tmp_path, payouts=False) as c:
        reply = (await c.bot.send(ANN, "/payouts"))[-1]
        assert reply.text == (
            "💳 Card payments straight into your own Stripe account are not set up on this Chipin."
        )
        assert reply.buttons == []
        gone = await c.bot.press(ANN, reply, "po:c:")
        assert gone.params["text"] == "Card payments into your own account are not set up here."


async def test_without_a_fee_payouts_says_none_is_kept(tmp_path: Path) -> None:
    async with bot_with_connect(tmp_path) as c:
        listing = (await c.bot.send(ANN, "/payouts"))[-1]
        assert listing.text.endswith("The operator of this Chipin keeps no fee on them.")


async def test_payouts_in_a_group_is_sent_to_the_private_chat(connect: ConnectBot) -> None:
    reply = (await connect.bot.send(ANN, "/payouts", GROUP))[-1]
    assert reply.text == "Please send me this command in a private chat."


# ---- Stripe changes the account: the payee's letter, the group's progress ----


async def test_a_restricted_account_tells_the_payee_why_and_pauses_the_orders_cards(
    connect: ConnectBot,
) -> None:
    bot = connect.bot
    account = await connected(connect)
    posted = await bot.post("/split 90 3 Dinner")
    await bot.pay_checkout(await hold_by_card(bot, BOB, posted.token))
    deadline = datetime(2031, 5, 4, 12, 0, tzinfo=UTC)
    connect.payouts.restrict(
        account,
        due=(
            "individual.verification.document",
            "external_account",
            "individual.dob.day",
            "individual.dob.month",
        ),
        deadline=deadline,
    )

    await stripe_says(connect, account)

    letter = bot.api.last(ANN.id).text
    assert letter.splitlines() == [
        "⚠️ <b>Payers cannot pay you by card now:</b> Stripe needs more information from you.",
        "/payouts shows what Stripe still needs.",
        "",
        "• <b>Dinner</b>: 1 of 3 parts paid stays paid; the 2 left can't be paid by card until "
        "your account is back; payers can still use Sandbox (test money).",
    ]
    progress = bot.api.edits(GROUP)[-1].text
    assert PAUSED + "the payee's Stripe account cannot take payments right now." in progress
    status = (await bot.send(ANN, "/payouts"))[-1]
    assert status.text.splitlines()[1:4] == [
        "⚠️ Payers cannot pay you by card now: Stripe needs more information from you.",
        "Stripe needs: an identity document, a bank account for payouts, your date of birth.",
        "Stripe's deadline: 2031-05-04 12:00 UTC",
    ]
    assert _labels(status) == ["Finish Stripe's steps", "Disconnect"]

    connect.payouts.enable(account)
    await stripe_says(connect, account)

    assert bot.api.last(ANN.id).text.splitlines() == [
        "✅ <b>Your Stripe account takes card payments.</b>",
        "",
        "• <b>Dinner</b>: cards work again.",
    ]
    assert PAUSED not in bot.api.edits(GROUP)[-1].text


async def test_an_account_stripe_closed_offers_no_steps(connect: ConnectBot) -> None:
    bot = connect.bot
    account = await connected(connect)
    connect.payouts.restrict(account, reason="rejected.fraud")
    await stripe_says(connect, account)

    assert bot.api.last(ANN.id).text.startswith(
        "⚠️ <b>Payers cannot pay you by card now:</b> Stripe closed your account."
    )
    status = (await bot.send(ANN, "/payouts"))[-1]
    assert "Finishing Stripe's steps cannot bring this account back." in status.text
    assert _labels(status) == ["Disconnect"]


async def test_a_disconnect_pauses_the_bound_orders_and_new_ones_pay_the_operator(
    connect: ConnectBot,
) -> None:
    bot = connect.bot
    await connected(connect)
    posted = await bot.post("/split 90 3 Dinner")

    await _disconnect(bot)

    letter = bot.api.last(ANN.id).text.splitlines()
    assert letter[-1] == (
        "• <b>Dinner</b>: none of its 3 parts is paid yet; the 3 left can't be paid by card "
        "until your account is back; payers can still use Sandbox (test money)."
    )
    progress = bot.api.edits(GROUP)[-1].text
    assert PAUSED + "the payee disconnected their Stripe account." in progress
    later = await bot.post("/split 40 2 Lunch")
    view = await bot.rig.engine.public_order(later.token)
    assert view.order.card_account is None
    assert PAUSED not in later.progress.text
    first = await bot.rig.engine.public_order(posted.token)
    assert first.order.card_account is not None


async def test_the_letter_names_five_orders_then_how_many_more(connect: ConnectBot) -> None:
    bot = connect.bot
    account = await connected(connect)
    for n in range(6):
        await bot.post(f"/split 30 3 Order{n}")
    connect.payouts.restrict(account, reason="under_review")

    await stripe_says(connect, account)

    lines = bot.api.last(ANN.id).text.splitlines()
    assert (
        lines[0] == "⚠️ <b>Payers cannot pay you by card now:</b> Stripe is reviewing your account."
    )
    assert [x.split(":")[0] for x in lines[3:8]] == [f"• <b>Order{n}</b>" for n in range(5)]
    assert lines[-1] == "…and 1 more order."


async def test_a_chinese_payee_reads_the_letter_in_chinese(connect: ConnectBot) -> None:
    bot = connect.bot
    account = await connected(connect, MEI)
    await bot.post("/split 90 3 晚餐", MEI)
    connect.payouts.restrict(account)

    await stripe_says(connect, account)

    letter = bot.api.last(MEI.id).text
    assert letter.startswith(
        "⚠️ <b>付款人现在无法用银行卡向你付款：</b>“Stripe” 需要你提供更多信息。"
    )
    assert (
        "• <b>晚餐</b>：它的 3 份都还没有付款；剩下的 3 份在你的账户恢复之前无法用银行卡支付"
        in letter
    )
    status = (await bot.send(MEI, "/payouts"))[-1]
    assert _labels(status) == ["完成 “Stripe” 的步骤", "断开连接"]


async def test_reconnecting_an_account_not_finished_asks_to_finish_the_sign_up(
    connect: ConnectBot,
) -> None:
    bot = connect.bot
    account = await connected(connect)
    await _disconnect(bot)
    connect.payouts.set_status(account, charges_enabled=False, details_submitted=False)
    status = (await bot.send(ANN, "/payouts"))[-1]
    mark = bot.api.mark()

    await bot.press(ANN, status, status.button("Reconnect")["callback_data"])

    sent = [c.text for c in bot.api.since(mark) if c.chat_id == ANN.id and c.ok and c.text]
    assert sent[0].startswith("👇 Your link to Stripe's sign-up.")
    assert sent[-1].splitlines() == [
        "⚠️ <b>Payers cannot pay you by card now:</b> you have not finished Stripe's sign-up yet.",
        "/payouts shows what Stripe still needs.",
    ]
    assert _labels(bot.api.edits(ANN.id)[-1]) == ["Continue Stripe's sign-up", "Disconnect"]


async def _disconnect(bot: BotRig) -> None:
    status = (await bot.send(ANN, "/payouts"))[-1]
    await bot.press(ANN, status, status.button("Disconnect")["callback_data"])
    confirm = bot.api.last(ANN.id)
    await bot.press(ANN, confirm, confirm.button("Yes, disconnect")["callback_data"])
