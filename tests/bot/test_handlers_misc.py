"""Handler tests of /start, /help, /pin, chat migration and private messages refused."""

from __future__ import annotations

from core.domain.errors import WrongPassword
from tests.support.ptb import ANN, BOB, GROUP, MEI, OTHER_PIN, PIN, BotRig, Call

NEW_GROUP = -1004001


def _one_reply(calls: list[Call], chat_id: int) -> Call:
    sent = [c for c in calls if c.method == "sendMessage" and c.chat_id == chat_id]
    assert len(sent) == 1, calls
    return sent[0]


# ---- /start and /help ----


async def test_start_without_payload_welcomes_and_explains_the_commands(bot: BotRig) -> None:
    reply = _one_reply(await bot.send(BOB, "/start"), BOB.id)
    assert "Hi Bob!" in reply.text
    assert "/split 240 6 Dinner" in reply.text
    hello = _one_reply(await bot.send(BOB, "/start hello"), BOB.id)
    assert "Hi Bob!" in hello.text


async def test_help_in_a_group_and_in_chinese(bot: BotRig) -> None:
    reply = _one_reply(await bot.send(BOB, "/help", GROUP), GROUP)
    assert "/collect 15 20 Tickets" in reply.text
    assert "/status" in reply.text
    chinese = _one_reply(await bot.send(MEI, "/help"), MEI.id)
    assert "/split 240 6 Dinner" in chinese.text
    assert "平均分摊" in chinese.text, chinese.text


async def test_plain_text_in_private_gets_the_help(bot: BotRig) -> None:
    reply = _one_reply(await bot.send(BOB, "hello?"), BOB.id)
    assert "/split" in reply.text


# ---- /pin ----


async def test_pin_changes_the_password_after_the_old_one(bot: BotRig) -> None:
    ref = f"tg:{BOB.id}"
    await bot.rig.engine.set_pin(ref, PIN)
    pad = _one_reply(await bot.send(BOB, "/pin"), BOB.id)
    assert "current payment password" in pad.text

    await bot.enter(BOB, OTHER_PIN)
    assert "Wrong payment password" in bot.api.edits(BOB.id)[-1].text
    await bot.enter(BOB, PIN)
    assert "new 6-digit" in bot.api.edits(BOB.id)[-1].text
    await bot.enter(BOB, OTHER_PIN)
    assert "same password again" in bot.api.edits(BOB.id)[-1].text  # typed twice
    await bot.enter(BOB, "739156")
    assert "did not match" in bot.api.edits(BOB.id)[-1].text
    await bot.enter(BOB, OTHER_PIN)
    await bot.enter(BOB, OTHER_PIN)

    assert "was changed" in bot.api.edits(BOB.id)[-1].text
    await bot.rig.engine.verify_pin(ref, OTHER_PIN)
    try:
        await bot.rig.engine.verify_pin(ref, PIN)
    except WrongPassword:
        pass
    else:
        raise AssertionError("the old password still works")
    assert all(PIN not in t and OTHER_PIN not in t for t in bot.api.texts())


async def test_pin_without_a_password_sets_one(bot: BotRig) -> None:
    pad = _one_reply(await bot.send(BOB, "/pin"), BOB.id)
    assert "Set your 6-digit" in pad.text
    await bot.enter(BOB, PIN)
    await bot.enter(BOB, PIN)
    assert "is set" in bot.api.edits(BOB.id)[-1].text
    assert await bot.rig.engine.has_pin(f"tg:{BOB.id}")


async def test_pin_in_a_group_asks_for_a_private_chat(bot: BotRig) -> None:
    reply = _one_reply(await bot.send(BOB, "/pin", GROUP), GROUP)
    assert "private chat" in reply.text
    assert reply.buttons == []


# ---- a group that becomes a supergroup ----


async def test_migration_moves_the_order_and_later_edits_go_to_the_new_chat(
    bot: BotRig,
) -> None:
    posted = await bot.post("/split 20 2 Taxi")
    bot.api.migrate(GROUP, NEW_GROUP)
    await bot.service(ANN, GROUP, migrate_to_chat_id=NEW_GROUP)
    await bot.service(ANN, NEW_GROUP, migrate_from_chat_id=GROUP)

    await bot.flush()
    posts = await bot.rig.engine.posts_of(posted.order_id)
    assert [p.chat_id for p in posts] == [NEW_GROUP]
    (fresh,) = bot.api.sent(NEW_GROUP, "sendMessage")  # the progress, posted again
    assert posts[0].progress_message_id == fresh.result["message_id"]
    await bot.pay_checkout(await bot.reserve(BOB, posted.token))

    assert bot.api.edits(GROUP, ok_only=False) == []
    edit = bot.api.edits(NEW_GROUP)[-1]
    assert edit.params["message_id"] == fresh.result["message_id"]
    assert "Paid 1/2" in edit.text
    status = _one_reply(await bot.send(ANN, "/status", NEW_GROUP), NEW_GROUP)
    assert "Taxi" in status.text


# ---- private messages the user never allowed ----


async def test_a_payee_who_never_started_the_bot_gets_the_totals_hint_in_the_group(
    bot: BotRig,
) -> None:
    bot.api.never_started.add(ANN.id)
    posted = await bot.post("/split 20 1 Taxi")

    await bot.pay_checkout(await bot.reserve(BOB, posted.token))

    refused = [c for c in bot.api.calls if c.chat_id == ANN.id and not c.ok]
    assert len(refused) == 1
    assert "Taxi" in refused[0].text
    hint = bot.api.last(GROUP)
    assert "Ann, I can't message you privately" in hint.text
    assert hint.button("Open Chipin")["url"] == "https://t.me/ChipinTestBot?start=hello"
    assert any("🎉" in c.text for c in bot.api.sent(GROUP))


async def test_a_receipt_to_a_payer_who_blocked_the_bot_becomes_a_hint(bot: BotRig) -> None:
    posted = await bot.post("/split 20 2 Taxi")
    held = await bot.reserve(BOB, posted.token)
    bot.api.never_started.add(BOB.id)

    await bot.pay_checkout(held)

    hint = bot.api.last(GROUP)
    assert "Bob, I can't message you privately" in hint.text
    assert hint.button("Open Chipin")


async def test_the_hint_speaks_the_groups_language(bot: BotRig) -> None:
    bot.api.never_started.add(MEI.id)
    posted = await bot.post("/split 20 1 Taxi", user=MEI)
    await bot.pay_checkout(await bot.reserve(BOB, posted.token))
    hint = bot.api.last(GROUP)
    assert "can't message you" not in hint.text, hint.text
    assert "梅" in hint.text


# ---- the command menu ----


async def test_command_menu_is_set_in_english_by_default_and_in_chinese(bot: BotRig) -> None:
    menus = {
        c.params.get("language_code"): c.params["commands"]
        for c in bot.api.calls
        if c.method == "setMyCommands"
    }
    assert set(menus) == {None, "zh"}  # None: Telegram's default, for every other language
    assert [c["command"] for c in menus[None]] == [c["command"] for c in menus["zh"]]
    assert [c["command"] for c in menus[None]] == [
        "split",
        "collect",
        "status",
        "history",
        "stats",
        "export",
        "holds",
        "pin",
        "passkey",
        "methods",
        "claims",
        "returns",
        "payouts",
        "codes",
        "bind",
        "help",
    ]
    assert menus[None][0]["description"] == "Split a total: /split 240 6 Dinner"
    assert menus["zh"][0]["description"] == "分摊总额：/split 240 6 晚餐"
