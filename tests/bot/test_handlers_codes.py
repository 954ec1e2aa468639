"""Static codes in the bot: bind by scan or /bind with the password, the payer's amount on the
keypad or as text, two payment modes, /codes totals and buttons, a fund's group progress."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from dataclasses import replace
from pathlib import Path

import pytest

from bot.chat.codes import events as tg_code_events
from core.domain.codes import CodeState, RawSpec, StaticCode, build_spec
from core.domain.dialogs.amount import AmountDialog
from core.domain.money import Money, currency
from core.ports.dialogs import load
from tests.support.fakes.gateway import FakeGateway
from tests.support.harness import build_rig
from tests.support.ptb import ANN, BOB, CID, GROUP, PIN, BotRig, Call, Person, running_bot


class OtherGateway(FakeGateway):
    name = "other"


@pytest.fixture
async def bot(tmp_path: Path) -> AsyncIterator[BotRig]:
    """The bot with two payment modes: 'fake' and 'other'."""
    fake, other = FakeGateway(), OtherGateway()
    async with running_bot(tmp_path, build_rig(gateway=fake, gateways=[fake, other])) as running:
        yield running


async def printed(bot: BotRig) -> StaticCode:
    [code] = await bot.rig.engine.print_codes(1)
    return code


def buttons_of(call: Call, prefix: str) -> list[str]:
    return [
        str(b["callback_data"])
        for b in call.buttons
        if str(b.get("callback_data", "")).startswith(prefix)
    ]


async def set_or_enter_pin(bot: BotRig, user: Person) -> list[Call]:
    """The password step: set twice the first time, else enter once."""
    first = not await bot.rig.engine.has_pin(f"tg:{user.id}")
    calls = await bot.enter(user, PIN)
    if first:
        calls += await bot.enter(user, PIN)
    return calls


async def bind(bot: BotRig, user: Person, code: StaticCode, kind: str, *answers: str) -> Call:
    """/bind, pick the kind, answer the questions, take the Telegram name, give the password."""
    [kinds] = [c for c in await bot.send(user, f"/bind {code.label}") if c.chat_id == user.id]
    await bot.press(user, kinds, f"ck:{kind}")
    for answer in answers:
        await bot.send(user, answer)
    ask_name = bot.api.last(user.id)
    assert "Which name" in ask_name.text, ask_name.text
    await bot.press(user, ask_name, "cn:")
    await set_or_enter_pin(bot, user)
    return bot.api.last(user.id)


async def scan(bot: BotRig, user: Person, code: StaticCode) -> list[Call]:
    return [c for c in await bot.send(user, f"/start s_{code.token}") if c.chat_id == user.id]


async def type_on_keypad(bot: BotRig, user: Person, pad: Call, keys: str) -> None:
    for key in keys:
        await bot.press(user, pad, f"am:{key}")


async def orders_count(bot: BotRig) -> int:
    payee = await bot.rig.engine.payee_named(f"tg:{ANN.id}")
    return (await bot.rig.engine.list_orders(payee, 100, 0))[1]


async def test_scanning_an_unbound_code_offers_binding_which_asks_the_password(
    bot: BotRig,
) -> None:
    code = await printed(bot)
    [card] = await scan(bot, ANN, code)
    assert "not active yet" in card.text
    assert code.label in card.text
    await bot.press(ANN, card, buttons_of(card, "cb:")[0])
    kinds = bot.api.last(ANN.id)
    assert buttons_of(kinds, "ck:") == ["ck:tip", "ck:donation", "ck:fixed", "ck:fund"]
    await bot.press(ANN, kinds, "ck:tip")
    assert "What is it for?" in bot.api.last(ANN.id).text
    await bot.send(ANN, "Tips for the band")
    await bot.send(ANN, "Ann's Bar")  # a typed collector name
    assert "payment password" in bot.api.last(ANN.id).text or bot.keypad(ANN)
    assert (await bot.rig.engine.find_code(code.token)).state == CodeState.UNBOUND
    await set_or_enter_pin(bot, ANN)
    done = bot.api.last(ANN.id)
    assert "now collects Tips for the band for you, shown to payers as Ann's Bar" in done.text
    assert (await bot.rig.engine.find_code(code.token)).state == CodeState.ACTIVE


async def test_a_wrong_password_binds_nothing(bot: BotRig) -> None:
    code = await printed(bot)
    await bot.rig.engine.set_pin(f"tg:{ANN.id}", PIN)
    [kinds] = [c for c in await bot.send(ANN, f"/bind {code.short.lower()}") if c.chat_id == ANN.id]
    await bot.press(ANN, kinds, "ck:donation")
    await bot.send(ANN, "Animal shelter")
    await bot.press(ANN, bot.api.last(ANN.id), "cn:")
    await bot.enter(ANN, "580317")
    assert "wrong" in bot.api.of("editMessageText")[-1].text.lower()
    assert (await bot.rig.engine.find_code(code.token)).state == CodeState.UNBOUND


async def test_a_bound_code_cannot_be_bound_again(bot: BotRig) -> None:
    code = await printed(bot)
    await bind(bot, ANN, code, "tip", "Tips")
    [other] = [c for c in await bot.send(BOB, f"/bind {code.label}") if c.chat_id == BOB.id]
    assert "already bound to someone else" in other.text
    [mine] = [c for c in await bot.send(ANN, f"/bind {code.label}") if c.chat_id == ANN.id]
    assert "already bound to you" in mine.text
    [bad] = [c for c in await bot.send(ANN, "/bind nonsense!") if c.chat_id == ANN.id]
    assert "is not a code" in bad.text


async def test_a_payer_pays_an_amount_on_the_keypad_in_the_mode_they_pick(bot: BotRig) -> None:
    code = await printed(bot)
    await bind(bot, ANN, code, "tip", "Tips for the band")
    calls = await scan(bot, BOB, code)
    assert "<b>Ann</b> collects: Tips for the band" in calls[0].text
    assert "Any amount from 1.00 USD to 100,000.00 USD" in calls[0].text
    pad = calls[-1]
    await type_on_keypad(bot, BOB, pad, "12.5x50")  # ⌫ takes the 5 back: 12.50
    await bot.press(BOB, pad, "am:ok")
    await set_or_enter_pin(bot, BOB)
    choice = bot.api.last(BOB.id)
    assert "How do you want to pay <b>12.50 USD</b>" in choice.text
    await bot.choose(BOB, "other")
    held = bot.api.last(BOB.id)
    assert "held for you" in held.text
    url = next(b["url"] for b in held.buttons if "url" in b)
    other = bot.rig.engine.deps.gateways["other"]
    assert isinstance(other, FakeGateway)
    await bot.rig.engine.apply_event(other.pay(url.rsplit("/", 1)[-1]))
    await bot.flush()
    note = bot.api.last(ANN.id)
    assert "12.50 USD" in note.text
    assert "from Bob" in note.text
    payee = await bot.rig.engine.payee_named(f"tg:{ANN.id}")
    [totals] = await bot.rig.engine.code_totals(payee)
    assert [(p.amount_minor, p.gateway) for p in totals.last] == [(1250, "other")]


@pytest.mark.parametrize(
    ("typed", "reason"),
    [
        ("abc", "is not an amount"),
        ("0.001", "at most 2 decimals"),
        ("0.50", "below the minimum of 1.00 USD"),
        ("-5", "must be positive"),
        ("200000", "above the limit"),
    ],
)
async def test_bad_amounts_typed_as_text_are_refused_and_asked_again(
    bot: BotRig, typed: str, reason: str
) -> None:
    code = await printed(bot)
    await bind(bot, ANN, code, "donation", "Animal shelter")
    await scan(bot, BOB, code)
    before = await orders_count(bot)
    [refused] = [c for c in await bot.send(BOB, typed) if c.chat_id == BOB.id]
    assert reason in refused.text
    assert buttons_of(refused, "am:")  # the keypad again
    assert await orders_count(bot) == before
    await bot.send(BOB, "5")
    assert "payment password" in bot.api.last(BOB.id).text
    assert await orders_count(bot) == before + 1


@pytest.mark.parametrize(
    ("keys", "reason"),
    [(".5", "below the minimum of 1.00 USD"), ("1.234", "at most 2 decimals"), ("1..5", None)],
)
async def test_bad_amounts_on_the_keypad_are_refused_and_asked_again(
    bot: BotRig, keys: str, reason: str | None
) -> None:
    code = await printed(bot)
    await bind(bot, ANN, code, "tip", "Tips")
    pad = (await scan(bot, BOB, code))[-1]
    before = await orders_count(bot)
    await type_on_keypad(bot, BOB, pad, keys)
    await bot.press(BOB, pad, "am:ok")
    told = bot.api.last(BOB.id)
    if reason is None:  # a second point is ignored: 1.5 goes through
        assert "payment password" in told.text
        assert await orders_count(bot) == before + 1
        return
    assert reason in told.text
    assert buttons_of(told, "am:")
    assert await orders_count(bot) == before


async def test_ok_on_an_empty_keypad_is_refused(bot: BotRig) -> None:
    code = await printed(bot)
    await bind(bot, ANN, code, "tip", "Tips")
    pad = (await scan(bot, BOB, code))[-1]
    await bot.press(BOB, pad, "am:ok")
    assert "amount is missing" in bot.api.last(BOB.id).text


async def test_a_fixed_code_shows_its_price_and_charges_it(bot: BotRig) -> None:
    code = await printed(bot)
    await bind(bot, ANN, code, "fixed", "25", "Club fee 2026")
    [card] = await scan(bot, BOB, code)
    assert "Price: <b>25.00 USD</b>" in card.text
    await bot.press(BOB, card, "am:ok")
    await set_or_enter_pin(bot, BOB)
    assert "25.00 USD" in bot.api.last(BOB.id).text


async def test_a_switched_off_code_says_so_and_creates_nothing(bot: BotRig) -> None:
    code = await printed(bot)
    await bind(bot, ANN, code, "tip", "Tips")
    [listing] = [c for c in await bot.send(ANN, "/codes") if c.chat_id == ANN.id]
    await bot.press(ANN, listing, f"cc:off:{code.short}")
    assert "now switched off" in bot.api.last(ANN.id).text
    before = await orders_count(bot)
    [told] = await scan(bot, BOB, code)
    assert "switched this code off" in told.text
    assert not buttons_of(told, "am:")
    assert await orders_count(bot) == before


async def test_an_unbound_code_scanned_by_a_payer_creates_nothing(bot: BotRig) -> None:
    code = await printed(bot)
    [told] = await scan(bot, BOB, code)
    assert "not active yet" in told.text
    assert not buttons_of(told, "am:")
    assert (await bot.rig.engine.list_orders(await bot.rig.engine.payee_named("x"), 10, 0))[1] == 0


async def test_codes_lists_totals_and_unbinds_and_moves(bot: BotRig) -> None:
    code, spare = await printed(bot), await printed(bot)
    await bind(bot, ANN, code, "tip", "Tips for the band")
    payee = await bot.rig.engine.payee_named(f"tg:{ANN.id}")
    for payer, amount in ((BOB, "4"), (CID, "6")):
        await scan(bot, payer, code)
        await bot.send(payer, amount)
        held = (await set_or_enter_pin(bot, payer))[-1]
        if "How do you want" in held.text:
            await bot.choose(payer, "fake")
            held = bot.api.last(payer.id)
        await bot.pay_checkout(held)
    [listing] = [c for c in await bot.send(ANN, "/codes") if c.chat_id == ANN.id]
    assert "Today 10.00 USD · this month 10.00 USD · in all 10.00 USD" in listing.text
    assert "Payment modes: fake, other" in listing.text
    assert "col_" in listing.text
    assert "Cid" in listing.text
    assert "Bob" in listing.text
    await bot.press(ANN, listing, f"cc:move:{code.short}")
    await bot.send(ANN, spare.label)
    assert (
        f"code <b>{spare.label}</b> now collects what <b>{code.label}</b> did"
        in bot.api.last(ANN.id).text
    )
    [moved] = await bot.rig.engine.code_totals(payee)
    assert (moved.code.id, moved.raised_minor) == (spare.id, 1000)
    [listing] = [c for c in await bot.send(ANN, "/codes") if c.chat_id == ANN.id]
    await bot.press(ANN, listing, f"cc:unbind:{spare.short}")
    assert "is unbound" in bot.api.last(ANN.id).text
    assert await bot.rig.engine.code_totals(payee) == []


async def test_a_funds_progress_is_posted_in_a_group_and_the_goal_announced_once(
    bot: BotRig,
) -> None:
    code = await printed(bot)
    done = await bind(bot, ANN, code, "fund", "20 7d", "New roof")
    assert "now collects New roof" in done.text
    [posted] = [c for c in await bot.send(ANN, f"/fund {code.label}", GROUP) if c.chat_id == GROUP]
    assert "Raised <b>0.00 USD</b> of 20.00 USD" in posted.text
    for payer, amount in ((BOB, "15"), (CID, "5"), (BOB, "3")):
        await scan(bot, payer, code)
        await bot.send(payer, amount)
        held = (await set_or_enter_pin(bot, payer))[-1]
        if "How do you want" in held.text:
            await bot.choose(payer, "fake")
            held = bot.api.last(payer.id)
        await bot.pay_checkout(held)
    announced = [c for c in bot.api.sent(GROUP) if "Goal reached" in c.text]
    assert len(announced) == 1
    assert "has raised <b>20.00 USD</b>" in announced[0].text
    edits = [c for c in bot.api.of("editMessageText") if c.chat_id == GROUP]
    assert edits, "the progress message was never edited"
    assert "Raised <b>" in edits[-1].text


async def test_text_long_after_scanning_is_not_taken_as_an_amount(bot: BotRig) -> None:
    code = await printed(bot)
    await bind(bot, ANN, code, "tip", "Tips")
    await scan(bot, BOB, code)
    entry = await load(bot.deps.dialogs, BOB.id, AmountDialog)
    assert entry is not None
    older = replace(entry, started_at=entry.started_at - 16 * 60, version=entry.version + 1)
    assert await bot.deps.dialogs.put(BOB.id, older)
    before = await orders_count(bot)
    [reply] = [c for c in await bot.send(BOB, "5") if c.chat_id == BOB.id]
    assert "one QR code, many payers" in reply.text  # the help, not a payment
    assert await orders_count(bot) == before


async def test_a_too_long_collector_name_is_refused_before_the_password(bot: BotRig) -> None:
    code = await printed(bot)
    [kinds] = [c for c in await bot.send(ANN, f"/bind {code.label}") if c.chat_id == ANN.id]
    await bot.press(ANN, kinds, "ck:tip")
    await bot.send(ANN, "Tips")
    [refused] = [c for c in await bot.send(ANN, "x" * 65) if c.chat_id == ANN.id]
    assert "1 to 64 characters" in refused.text
    assert not buttons_of(refused, "k:")
    await bot.send(ANN, "Ann")
    assert "payment password" in bot.api.sent(ANN.id)[-2].text


async def test_many_codes_are_listed_over_several_messages_each_with_its_buttons(
    bot: BotRig,
) -> None:
    codes = await bot.rig.engine.print_codes(30)
    payee = await bot.rig.engine.payee_named(f"tg:{ANN.id}")
    spec = build_spec(RawSpec("tip", currency("USD"), title="T" * 100), 10**7, bot.rig.clock.now())
    for code in codes:
        await bot.rig.engine.bind_code(code.short, payee, spec, "Ann")
    listings = [c for c in await bot.send(ANN, "/codes") if c.chat_id == ANN.id]
    assert len(listings) > 1
    assert all(len(c.text) <= 4096 for c in listings)
    shown = [d for c in listings for d in buttons_of(c, "cc:unbind:")]
    assert sorted(shown) == sorted(f"cc:unbind:{c.short}" for c in codes)


async def test_a_funds_progress_edits_are_coalesced(
    bot: BotRig, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(tg_code_events, "EDIT_EVERY_S", 0.3)
    code = await printed(bot)
    await bind(bot, ANN, code, "fund", "100", "Roof")
    [posted] = [c for c in await bot.send(ANN, f"/fund {code.label}", GROUP) if c.chat_id == GROUP]
    engine, gateway = bot.rig.engine, bot.rig.gateway
    for amount in (1000, 2000, 3000):
        view = await engine.pay_code(code.token, Money(amount, currency("USD")))
        res = await engine.reserve(view.order.token, f"payer-{amount}", source=f"payer-{amount}")
        assert res.sub.checkout_ref is not None
        await engine.apply_event(gateway.pay(res.sub.checkout_ref))
        await bot.flush()
    await asyncio.sleep(0.5)
    edits = [
        c
        for c in bot.api.of("editMessageText")
        if c.chat_id == GROUP and c.params["message_id"] == posted.result["message_id"]
    ]
    assert len(edits) == 2  # the first payment at once; the next two folded into one edit
    assert "Raised <b>60.00 USD</b> of 100.00 USD from 3 payments" in edits[-1].text


async def test_guessing_codes_with_bind_locks_the_guesser_out(bot: BotRig) -> None:
    code = await printed(bot)
    for i in range(9):
        [told] = [c for c in await bot.send(BOB, f"/bind {i:04d}-0000") if c.chat_id == BOB.id]
        assert "There is no such code" in told.text
    [locked] = [c for c in await bot.send(BOB, "/bind 9999-0000") if c.chat_id == BOB.id]
    assert "Too many codes that do not exist" in locked.text
    [still] = [c for c in await bot.send(BOB, f"/bind {code.label}") if c.chat_id == BOB.id]
    assert "Too many codes that do not exist" in still.text
    assert not buttons_of(still, "ck:")
    [offered] = [c for c in await bot.send(ANN, f"/bind {code.label}") if c.chat_id == ANN.id]
    assert buttons_of(offered, "ck:")


async def test_a_payer_starting_many_code_payments_is_held_back(bot: BotRig) -> None:
    """Each amount sent makes a one-part order (and, once it expires, a ledger entry): a
    stranger scripting scans and amounts is stopped after ten within the hour; nothing more
    is created, another payer is not held back, and an hour later the payer may go on."""
    code = await printed(bot)
    await bind(bot, ANN, code, "tip", "Tips")
    before = await orders_count(bot)
    for _ in range(10):
        await scan(bot, BOB, code)
        await bot.send(BOB, "2")
        assert "payment password" in bot.api.last(BOB.id).text
    assert await orders_count(bot) == before + 10
    await scan(bot, BOB, code)
    [held] = [c for c in await bot.send(BOB, "2") if c.chat_id == BOB.id]
    assert "too many payments" in held.text.lower()
    assert await orders_count(bot) == before + 10
    await scan(bot, CID, code)
    await bot.send(CID, "2")
    assert await orders_count(bot) == before + 11
    bot.rig.clock.advance(minutes=61)
    await scan(bot, BOB, code)
    await bot.send(BOB, "2")
    assert await orders_count(bot) == before + 12


@pytest.mark.parametrize("left", ["bind", "move"])
async def test_an_abandoned_bind_or_move_does_not_take_a_later_amount(
    bot: BotRig, left: str
) -> None:
    """The payee left a binding (or a move) half done; later, paying someone's tip jar, the
    amount they type is the amount, not the code's title or the code to move to."""
    jar, mine, spare = await printed(bot), await printed(bot), await printed(bot)
    await bind(bot, BOB, jar, "tip", "Tips")
    if left == "bind":
        [kinds] = [c for c in await bot.send(ANN, f"/bind {spare.label}") if c.chat_id == ANN.id]
        await bot.press(ANN, kinds, "ck:tip")  # asks what it is for; Ann walks away
    else:
        await bind(bot, ANN, mine, "tip", "Mine")
        [listing] = [c for c in await bot.send(ANN, "/codes") if c.chat_id == ANN.id]
        await bot.press(ANN, listing, f"cc:move:{mine.short}")  # asks where to; walks away
    bob = await bot.rig.engine.payee_named(f"tg:{BOB.id}")
    before = (await bot.rig.engine.list_orders(bob, 100, 0))[1]
    await scan(bot, ANN, jar)
    await bot.send(ANN, "5")
    assert "payment password" in bot.api.last(ANN.id).text
    assert (await bot.rig.engine.list_orders(bob, 100, 0))[1] == before + 1


async def test_each_code_shows_the_collector_name_chosen_when_it_was_bound(
    bot: BotRig,
) -> None:
    bar, club = await printed(bot), await printed(bot)
    await bind(bot, ANN, bar, "tip", "Tips")  # Ann's Telegram name: 'Ann'
    [kinds] = [c for c in await bot.send(ANN, f"/bind {club.label}") if c.chat_id == ANN.id]
    await bot.press(ANN, kinds, "ck:fixed")
    await bot.send(ANN, "25")
    await bot.send(ANN, "Membership 2026")
    await bot.send(ANN, "Chess Club")
    await set_or_enter_pin(bot, ANN)
    assert "shown to payers as Chess Club" in bot.api.last(ANN.id).text
    [card] = await scan(bot, BOB, club)
    assert "<b>Chess Club</b> collects: Membership 2026" in card.text
    [card, _pad] = await scan(bot, BOB, bar)
    assert "<b>Ann</b> collects: Tips" in card.text


async def test_money_arriving_after_the_code_was_unbound_is_still_told_to_the_payee(
    bot: BotRig,
) -> None:
    """Bob got his checkout, then Ann unbound the code, then Bob paid: the money is Ann's
    (the order is hers), so she is told, though the code no longer collects."""
    code = await printed(bot)
    await bind(bot, ANN, code, "tip", "Tips for the band")
    await scan(bot, BOB, code)
    await bot.send(BOB, "7")
    held = (await set_or_enter_pin(bot, BOB))[-1]
    if "How do you want" in held.text:
        await bot.choose(BOB, "fake")
        held = bot.api.last(BOB.id)
    [listing] = [c for c in await bot.send(ANN, "/codes") if c.chat_id == ANN.id]
    await bot.press(ANN, listing, f"cc:unbind:{code.short}")
    await bot.pay_checkout(held)
    note = bot.api.last(ANN.id)
    assert "7.00 USD" in note.text
    assert "Tips for the band" in note.text
    assert "from Bob" in note.text


async def test_a_second_ok_on_the_amount_keypad_is_refused_and_makes_one_order(
    bot: BotRig,
) -> None:
    code = await printed(bot)
    await bind(bot, ANN, code, "tip", "Tips")
    pad = (await scan(bot, BOB, code))[-1]
    before = await orders_count(bot)
    await type_on_keypad(bot, BOB, pad, "5")
    await bot.press(BOB, pad, "am:ok")
    again = await bot.press(BOB, pad, "am:ok")  # the amount dialog is over: refused by state
    assert again.params.get("show_alert") is True
    assert await orders_count(bot) == before + 1


async def test_a_kind_pressed_after_the_kind_was_chosen_is_ignored(bot: BotRig) -> None:
    code = await printed(bot)
    [kinds] = [c for c in await bot.send(ANN, f"/bind {code.label}") if c.chat_id == ANN.id]
    await bot.press(ANN, kinds, "ck:tip")
    asked = bot.api.last(ANN.id)
    await bot.press(ANN, kinds, "ck:fixed")  # an old button: the binding asks for the title
    assert bot.api.last(ANN.id) == asked
    await bot.send(ANN, "Tips")
    assert "Which name" in bot.api.last(ANN.id).text


async def test_a_payment_method_pressed_twice_goes_on_once(bot: BotRig) -> None:
    code = await printed(bot)
    await bind(bot, ANN, code, "tip", "Tips")
    pad = (await scan(bot, BOB, code))[-1]
    await type_on_keypad(bot, BOB, pad, "5")
    await bot.press(BOB, pad, "am:ok")
    await set_or_enter_pin(bot, BOB)
    await bot.choose(BOB, "other")
    held = bot.api.last(BOB.id)
    assert "held for you" in held.text
    again = await bot.choose(BOB, "other")
    assert again.params.get("show_alert") is True
    assert bot.api.last(BOB.id) == held
