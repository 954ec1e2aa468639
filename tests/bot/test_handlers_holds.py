"""Holds in the bot: /holds shows the payee who holds parts and releases one; a payer who took
too many is told in their language; /split takes a payee's limit; odd payer ids crash nothing."""

from __future__ import annotations

import logging
from dataclasses import replace
from datetime import UTC, datetime

import pytest

from bot.chat.context import CONFIRM_S
from core.domain.dialogs.confirm import ConfirmDialog
from core.domain.events import HoldReleased, RefundOwed, SubOrderPaid
from core.domain.model import OrderId, SubOrderId, SubOrderState
from core.domain.passkeys import PayerVerified
from core.ports.dialogs import load
from tests.support.offline_api import Person
from tests.support.ptb import ANN, BOB, CID, GROUP, MEI, BotRig


async def holds_list(bot: BotRig, user: Person = ANN) -> tuple[str, list[str]]:
    calls = await bot.send(user, "/holds")
    listing = [c for c in calls if c.chat_id == user.id and c.method == "sendMessage"][-1]
    return listing.text, [str(b.get("callback_data")) for b in listing.buttons]


async def test_holds_lists_who_holds_parts_of_the_payees_open_orders(bot: BotRig) -> None:
    posted = await bot.post("/split 90 3 Dinner")
    assert (await holds_list(bot))[0] == ("Nobody is holding a part of your open orders right now.")
    await bot.reserve(BOB, posted.token)
    text, buttons = await holds_list(bot)
    assert "<b>Dinner</b>: 0/3 paid" in text
    assert "#1 Bob: 30.00 USD, lapses in 15 min" in text
    assert buttons == [f"hrl:{posted.order_id}:0"]
    assert (await holds_list(bot, CID))[0].startswith("Nobody")  # Cid collects nothing


async def test_holds_names_an_api_payer_by_their_own_text(bot: BotRig) -> None:
    posted = await bot.post("/split 90 3 Dinner")
    await bot.rig.engine.reserve(posted.token, "api:Erin", source="ip:192.0.2.4")
    text, _ = await holds_list(bot)
    assert "#1 Erin: 30.00 USD" in text


async def test_the_payee_releases_a_hold_with_a_second_press(bot: BotRig) -> None:
    posted = await bot.post("/split 90 3 Dinner")
    held = await bot.reserve(BOB, posted.token)
    calls = await bot.send(ANN, "/holds")
    listing = [c for c in calls if c.chat_id == ANN.id][-1]
    data = f"hrl:{posted.order_id}:0"

    first = await bot.press(ANN, listing, data)
    assert first.params["show_alert"] is True
    assert "Press again within 30 s to release part #1 of Dinner: Bob" in first.params["text"]
    view = await bot.rig.engine.public_order(posted.token)
    assert view.subs[0].state == SubOrderState.RESERVED

    second = await bot.press(ANN, listing, data)
    assert second.params["text"] == "Part #1 is free again."
    view = await bot.rig.engine.public_order(posted.token)
    assert view.subs[0].state == SubOrderState.AVAILABLE
    checkout = next(b["url"] for b in held.buttons if "url" in b).rsplit("/", 1)[-1]
    assert bot.rig.gateway.done("cancel_checkout") == [checkout]
    assert "Nobody is holding" in bot.api.edits(ANN.id)[-1].text
    assert "⏳" not in bot.api.edits(GROUP)[-1].text  # the group no longer shows one paying
    again = await bot.press(ANN, listing, data)
    assert again.params["text"] == "That part is no longer held."


@pytest.mark.parametrize("data", ["hrl:", "hrl:ord_999999:0", "hrl:{order}:x", "hrl:{order}"])
async def test_forged_release_buttons_release_nothing(bot: BotRig, data: str) -> None:
    posted = await bot.post("/split 90 3 Dinner")
    await bot.reserve(BOB, posted.token)
    listing = [c for c in await bot.send(ANN, "/holds") if c.chat_id == ANN.id][-1]
    forged = data.format(order=posted.order_id)
    for _ in range(2):
        answer = await bot.press(ANN, listing, forged)
        assert answer.params["show_alert"] is True
    view = await bot.rig.engine.public_order(posted.token)
    assert view.subs[0].state == SubOrderState.RESERVED


async def test_only_the_payee_may_release_and_only_in_their_own_chat(bot: BotRig) -> None:
    posted = await bot.post("/split 90 3 Dinner")
    await bot.reserve(BOB, posted.token)
    listing = [c for c in await bot.send(ANN, "/holds") if c.chat_id == ANN.id][-1]
    data = f"hrl:{posted.order_id}:0"
    for _ in range(2):  # Cid, on a copy of Ann's message in his own chat, or in the group
        assert (await bot.press(CID, listing, data)).params["show_alert"] is True
        in_group = await bot.press(ANN, posted.progress, data)
        assert in_group.params["text"] == "Only the person collecting can do that."
    view = await bot.rig.engine.public_order(posted.token)
    assert view.subs[0].state == SubOrderState.RESERVED


async def test_holds_is_a_private_command(bot: BotRig) -> None:
    await bot.post("/split 90 3 Dinner")
    calls = await bot.send(ANN, "/holds", GROUP)
    assert [c.text for c in calls if c.chat_id == GROUP] == [
        "Please send me this command in a private chat."
    ]


async def test_a_payer_who_took_too_many_parts_is_told_when_to_come_back(bot: BotRig) -> None:
    """Mei (Chinese) took and let go 30 parts of the order in ten minutes: the 31st is
    refused in her language, with the minutes to wait, and nothing is held."""
    posted = await bot.post("/split 90 3 Dinner")
    async with bot.rig.store.transaction() as tx:
        for _ in range(30):
            await tx.holds.take_hold_slot(
                OrderId(posted.order_id), f"tg:{MEI.id}", bot.rig.clock.now(), 600
            )
    await bot.start_paying(MEI, posted.token)
    await bot.enter(MEI, "258025")
    await bot.enter(MEI, "258025")
    told = bot.api.last(MEI.id).text
    assert "短时间内保留" in told
    assert "10 分钟后再试" in told
    view = await bot.rig.engine.public_order(posted.token)
    assert all(s.state == SubOrderState.AVAILABLE for s in view.subs)


async def test_split_takes_the_payees_limit_of_parts_per_client(bot: BotRig) -> None:
    posted = await bot.post("/split 500 50 Stadium holds=50")
    assert (await bot.rig.engine.public_order(posted.token)).order.holds_per_source == 50
    calls = await bot.send(ANN, "/split 90 3 Dinner holds=0", GROUP)
    assert "Holds: One client may hold 1 to 1000 parts at once." in calls[-1].text
    calls = await bot.send(MEI, "/split 90 3 晚餐 holds=many", GROUP)
    assert "不是份数" in calls[-1].text


@pytest.mark.parametrize("ref", ["tg:abc", "tg:", "tg:-1", "tg:99999999999999999999"])
async def test_events_naming_a_malformed_telegram_id_crash_nothing(
    bot: BotRig, ref: str, caplog: pytest.LogCaptureFixture
) -> None:
    posted = await bot.post("/split 90 3 Dinner")
    now = datetime.now(UTC)
    order_id, sub_id = OrderId(posted.order_id), SubOrderId("sub_x")
    told = [
        SubOrderPaid(order_id, now, sub_id, ref, 3000, 1, "pay_x"),
        RefundOwed(order_id, now, "pay_x", "fake", 3000, "USD", "late", payer_ref=ref),
        HoldReleased(order_id, now, sub_id, ref, by_payee=True),
    ]
    async with bot.rig.store.transaction() as tx:  # as the use cases write them
        await tx.outbox.add_events(told, now)
    bot.rig.notifier.events.extend([*told, PayerVerified(order_id, now, ref, sub_id, posted.token)])
    mark = bot.api.mark()
    with caplog.at_level(logging.WARNING):
        await bot.flush()
    assert not [r for r in caplog.records if r.levelno >= logging.ERROR], caplog.text
    sent = [c for c in bot.api.since(mark) if c.method == "sendMessage"]
    assert {c.chat_id for c in sent} == {ANN.id}  # the payee hears of the refund, nobody else


async def test_a_payer_whose_hold_the_payee_releases_is_told(bot: BotRig) -> None:
    posted = await bot.post("/split 90 3 Dinner")
    await bot.reserve(BOB, posted.token)
    view = await bot.rig.engine.order_view(posted.order_id)
    assert view is not None
    await bot.rig.engine.release_part(posted.order_id, 0, view.order.payee_id)
    await bot.flush()
    told = bot.api.last(BOB.id).text
    assert "let your reserved part go" in told
    assert "Dinner" in told


async def test_a_hold_that_lapses_tells_the_payer_nothing_more(bot: BotRig) -> None:
    posted = await bot.post("/split 90 3 Dinner")
    await bot.reserve(BOB, posted.token)
    before = len(bot.api.sent(BOB.id))
    bot.rig.clock.advance(hours=2)
    await bot.rig.engine.release_lapsed_holds()
    await bot.flush()
    assert len(bot.api.sent(BOB.id)) == before


async def test_first_presses_are_forgotten_after_the_confirmation_window(bot: BotRig) -> None:
    d = bot.deps

    async def age(button: str) -> None:  # this button's first press was long ago
        kept = await load(d.dialogs, 1, ConfirmDialog)
        assert kept is not None
        waiting = tuple((b, at - CONFIRM_S - 1 if b == button else at) for b, at in kept.waiting)
        assert await d.dialogs.put(1, replace(kept, waiting=waiting, version=kept.version + 1))

    assert not await d.pressed_again(1, "can:o1")  # the first press
    assert not await d.pressed_again(1, "can:o2")
    await age("can:o2")
    assert not await d.pressed_again(1, "can:o2")  # too late: a first press again
    await age("can:o1")
    assert not await d.pressed_again(1, "hrl:o3:0")
    kept = await load(d.dialogs, 1, ConfirmDialog)
    assert kept is not None
    assert {b for b, _ in kept.waiting} == {"can:o2", "hrl:o3:0"}  # o1's has gone
    assert await d.pressed_again(1, "can:o2")  # the second press in time
