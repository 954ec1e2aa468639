"""Telegram text no store can hold (a lone UTF-16 surrogate, a NUL) gets a clear answer in
the sender's language and changes nothing; a payment is settled whatever its names hold."""

from __future__ import annotations

from pathlib import Path

from core.domain.model import OrderState, PaymentStatus
from tests.bot.test_handlers_payments import invoice_for, payments_bot
from tests.support.harness import dump
from tests.support.ptb import ANN, BOB, GROUP, MEI, PIN, BotRig, Person

ASKED_AGAIN = (
    "I could not read that: it holds a character that cannot be stored (a broken emoji?). "
    "Please type it again."
)


async def test_an_order_password_with_a_broken_character_is_asked_again(bot: BotRig) -> None:
    """The hash could not encode it: the payer is asked to type it again, nothing counted."""
    await bot.send(ANN, "/split 100 2 Dinner password", GROUP)
    await bot.send(ANN, "tiramisu42")
    token = (await bot.rig.engine.open_orders_in_chat(GROUP))[0][1].order.token
    await bot.start_paying(BOB, token)
    await bot.enter(BOB, PIN)
    await bot.enter(BOB, PIN)
    before = await dump(bot.rig.store)

    refused = await bot.send(BOB, "tira\ud83dmisu42")

    assert [c.method for c in refused] == ["deleteMessage", "sendMessage"]
    assert refused[-1].text == ASKED_AGAIN
    assert await dump(bot.rig.store) == before
    await bot.send(BOB, "tiramisu42")
    assert "held for you" in bot.api.last(BOB.id).text


async def test_the_payees_order_password_with_a_nul_is_asked_again(bot: BotRig) -> None:
    await bot.send(ANN, "/split 100 2 Dinner password", GROUP)
    refused = await bot.send(ANN, "tira\x00misu42")
    assert refused[-1].text == ASKED_AGAIN
    assert await bot.rig.engine.open_orders_in_chat(GROUP) == []
    await bot.send(ANN, "tiramisu42")
    [(_, view)] = await bot.rig.engine.open_orders_in_chat(GROUP)
    assert view.order.has_password


async def test_a_split_with_a_broken_title_is_refused_in_the_group_in_the_senders_language(
    bot: BotRig,
) -> None:
    refused = await bot.send(MEI, "/split 100 2 Din\ud800ner", GROUP)
    assert [c.method for c in refused] == ["sendMessage"]
    assert refused[0].chat_id == GROUP
    assert "无法保存的字符" in refused[0].text
    assert await bot.rig.engine.open_orders_in_chat(GROUP) == []


async def test_a_forged_button_with_a_broken_character_gets_an_alert(bot: BotRig) -> None:
    posted = await bot.post("/split 100 2 Dinner")
    answer = await bot.press(BOB, posted.progress, "pay:\udc00")
    assert answer.params["text"] == ASKED_AGAIN
    assert answer.params["show_alert"] is True


async def test_group_chatter_with_a_broken_character_gets_no_answer(bot: BotRig) -> None:
    await bot.post("/split 100 2 Dinner")
    before = await dump(bot.rig.store)
    assert await bot.send(BOB, "nice \ud83d dinner", GROUP) == []
    assert await dump(bot.rig.store) == before


async def test_a_payment_is_settled_though_the_payers_name_cannot_be_stored(
    tmp_path: Path,
) -> None:
    """The money has moved: the update goes on, with the name made storable."""
    async with payments_bot(tmp_path) as stars:
        posted = await stars.post("/split 50 2 Popcorn currency=XTR")
        invoice = await invoice_for(stars, BOB, posted.token)
        renamed = Person(BOB.id, "Bob \ud83d\x00", BOB.username)

        await stars.pay_invoice(renamed, invoice, "stxBroken")

        paid = await stars.rig.engine.payment_of("telegram", "stxBroken")
        assert paid is not None
        assert paid.status == PaymentStatus.CAPTURED
        view = await stars.rig.engine.public_order(posted.token)
        assert (view.order.state, view.order.paid_count) == (OrderState.OPEN, 1)


async def test_a_user_whose_name_cannot_be_stored_still_pays(bot: BotRig) -> None:
    """Only what a user types is refused; the name Telegram gives is made storable."""
    posted = await bot.post("/split 100 2 Dinner")
    renamed = Person(BOB.id, "Bob \ud83d\x00", BOB.username)
    held = await bot.reserve(renamed, posted.token)
    assert "held for you" in held.text
    view = await bot.rig.engine.public_order(posted.token)
    assert view.subs[0].payer_name == "Bob \ufffd\ufffd"
