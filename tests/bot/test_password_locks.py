"""Order passwords in the bot: a payer who guessed wrong too often is told so in their own
language (and nobody else is held back); the payee of an order under attack is told once, in
private, with a button that only they can press to clear the locks."""

from __future__ import annotations

import pytest

from core.domain.errors import LockedOut, WrongPassword
from core.domain.model import PayeeId
from core.domain.tries import ORDER_GUESSES_A_DAY, PasswordLocks
from core.usecases.reservations import ORDER_PASSWORD_TRIES
from tests.support.offline_api import MEI, Person
from tests.support.ptb import ANN, BOB, DAN, GROUP, PIN, BotRig

PASSWORD = "tiramisu42"


async def _order(bot: BotRig) -> tuple[str, str]:
    """Ann's order with a password, posted in the group: (order id, token)."""
    await bot.send(ANN, "/split 100 4 Dinner password", GROUP)
    await bot.send(ANN, PASSWORD)
    view = (await bot.rig.engine.open_orders_in_chat(GROUP))[0][1]
    return view.order.id, view.order.token


async def _asked_for_the_password(bot: BotRig, token: str, user: Person) -> None:
    """The payer opens the link, sets their payment password: the order password is asked."""
    await bot.start_paying(user, token)
    await bot.enter(user, PIN)
    await bot.enter(user, PIN)


async def test_a_locked_out_payer_is_told_in_their_language_and_others_still_pay(
    bot: BotRig,
) -> None:
    _, token = await _order(bot)
    await _asked_for_the_password(bot, token, MEI)
    answers = [(await bot.send(MEI, f"guess {i}"))[-1].text for i in range(ORDER_PASSWORD_TRIES)]

    assert all("收款密码错误" in text for text in answers[:-1])
    locked = answers[-1]
    assert "输错密码的次数过多" in locked, locked
    assert "15 分钟" in locked
    assert "Dinner" in locked
    await bot.start_paying(MEI, token)  # the right password, from her: still locked
    await bot.enter(MEI, PIN)
    again = (await bot.send(MEI, PASSWORD))[-1].text
    assert "输错密码的次数过多" in again, again
    await _asked_for_the_password(bot, token, BOB)
    await bot.send(BOB, PASSWORD)
    assert "held for you" in bot.api.last(BOB.id).text


async def test_the_payee_is_told_once_of_an_attack_and_clears_the_locks(bot: BotRig) -> None:
    order_id, token = await _order(bot)
    engine = bot.rig.engine
    for i in range(ORDER_GUESSES_A_DAY + 10):  # each from an address of its own
        # wrong; from the ceiling on, each guesser is locked out at once
        with pytest.raises(WrongPassword if i < ORDER_GUESSES_A_DAY - 1 else LockedOut):
            await engine.reserve(
                token, "m", password="guess", source=f"ip:10.0.{i // 200}.{i % 200}"
            )
    await bot.flush()

    alerts = [c for c in bot.api.sent(ANN.id) if "guessing the password" in c.text]
    assert len(alerts) == 1
    alert = alerts[0]
    assert "Dinner" in alert.text
    assert f"{ORDER_GUESSES_A_DAY} wrong passwords" in alert.text
    button = alert.button("Clear the locks")
    assert button["callback_data"] == f"pwl:{order_id}"
    assert all("guessing" not in c.text for c in bot.api.sent(GROUP))

    other = await bot.send(DAN, "/help")
    refused = await bot.press(DAN, other[-1], button["callback_data"])
    assert "Only the person collecting" in refused.params["text"]
    payee = PayeeId(await engine.payee_named(f"tg:{ANN.id}"))
    assert (await engine.password_locks(order_id, payee)).under_attack_since is not None

    done = await bot.press(ANN, alert, button["callback_data"])

    assert "Locks cleared" in done.params["text"]
    assert await engine.password_locks(order_id, payee) == PasswordLocks(0, 0, None)
    assert "everyone may try the password again" in bot.api.edits(ANN.id)[-1].text
