"""/passkey and paying with fingerprint / face, in the private chat (the page is played by the
engine with a fake authenticator; tests/web and tests/e2e drive the real page in Chromium)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from tests.support.fakes.ceremony import FakeCeremony, answer
from tests.support.harness import build_rig
from tests.support.ptb import ANN, BOB, GROUP, PIN, BotRig, Call, running_bot

CRED = b"ann-phone"


@pytest.fixture
async def bot(tmp_path: Path) -> AsyncIterator[BotRig]:
    """The bot over an engine where passkeys are on (a fake authenticator's answers)."""
    rig = build_rig().swap(passkeys=FakeCeremony())
    async with running_bot(tmp_path, rig) as running:
        yield running


def _link_of(call: Call) -> str:
    url = str(next(b["url"] for b in call.buttons if "url" in b))
    assert url.startswith("http://127.0.0.1:8080/verify/"), url
    return url.rsplit("/", 1)[1]


async def _page(bot: BotRig, link: str, count: int = 1, *, enrol: bool = False) -> None:
    """What the page does with the payer's device, then the events reach the bot."""
    engine = bot.rig.engine
    options = await engine.passkey_options(link)
    if enrol:
        await engine.finish_enrolment(link, answer(options, CRED, 0), "Chrome (Android 14)")
    else:
        await engine.finish_passkey_check(link, answer(options, CRED, count))
    await bot.flush()


async def _set_pin(bot: BotRig) -> Call:
    await bot.send(ANN, "/pin")
    await bot.enter(ANN, PIN)
    await bot.enter(ANN, PIN)
    return bot.api.last(ANN.id)


async def _enrol(bot: BotRig) -> None:
    offer = await _set_pin(bot)
    await bot.press(ANN, offer, "pka")
    assert "to add fingerprint / face" in bot.keypad(ANN).text
    await bot.enter(ANN, PIN)
    sent = bot.api.last(ANN.id)
    assert "Password checked" in sent.text
    await _page(bot, _link_of(sent), enrol=True)


async def test_after_the_password_is_set_a_button_adds_fingerprint_or_face(bot: BotRig) -> None:
    offer = await _set_pin(bot)
    assert "fingerprint or face" in offer.text
    assert offer.button("Add fingerprint / face")["callback_data"] == "pka"
    await bot.press(ANN, offer, "pka")
    await bot.enter(ANN, "739155")
    assert "wrong" in bot.api.edits(ANN.id)[-1].text.lower()
    assert not [c for c in bot.api.sent(ANN.id) if any("url" in b for b in c.buttons)]
    await bot.enter(ANN, PIN)
    assert "/verify/" in str(bot.api.last(ANN.id).buttons)


async def test_passkey_lists_and_removes_the_payers_passkeys(bot: BotRig) -> None:
    await _enrol(bot)
    shown = (await bot.send(ANN, "/passkey"))[-1]
    assert "1. Chrome on Android, added" in shown.text
    assert "never used" in shown.text
    await bot.press(ANN, shown, shown.button("Remove 1")["callback_data"])
    assert "Removed the passkey of Chrome on Android" in bot.api.answers()[-1].params["text"]
    assert "no passkey yet" in bot.api.edits(ANN.id)[-1].text
    assert await bot.rig.engine.passkeys_of(f"tg:{ANN.id}") == []


async def test_passkey_before_a_payment_password_says_to_set_one(bot: BotRig) -> None:
    shown = (await bot.send(ANN, "/passkey"))[-1]
    assert "no passkey yet" in shown.text
    await bot.press(ANN, shown, "pka")
    assert "Set a payment password first with /pin" in bot.api.last(ANN.id).text


async def test_passkey_in_a_group_is_refused(bot: BotRig) -> None:
    (reply,) = await bot.send(ANN, "/passkey", GROUP)
    assert "private chat" in reply.text


async def test_a_payer_confirms_with_fingerprint_and_gets_the_checkout(bot: BotRig) -> None:
    await _enrol(bot)
    posted = await bot.post("/split 90 3 Dinner", user=BOB)
    await bot.start_paying(ANN, posted.token)
    offer = bot.api.last(ANN.id)
    assert "Or confirm with your fingerprint or face" in offer.text
    await bot.press(ANN, offer, f"pkp:{posted.token}")
    page = bot.api.last(ANN.id)
    assert "the keypad works too" in page.text

    await _page(bot, _link_of(page))

    verified, held = bot.api.sent(ANN.id)[-2:]
    assert verified.text == "✅ Verified with fingerprint / face."
    assert "held for you" in held.text
    assert any("url" in b for b in held.buttons)
    (key,) = await bot.rig.engine.passkeys_of(f"tg:{ANN.id}")
    assert key.last_used_at is not None


async def test_a_payer_without_a_passkey_sees_only_the_keypad(bot: BotRig) -> None:
    posted = await bot.post("/split 90 3 Dinner", user=BOB)
    await bot.start_paying(ANN, posted.token)
    assert "pkp:" not in str(bot.api.callback_data())


async def test_without_a_secure_public_url_the_bot_says_why(tmp_path: Path) -> None:
    async with running_bot(tmp_path) as bot:
        (reply,) = await bot.send(ANN, "/passkey")
        assert "https address (CHIPIN_PUBLIC_URL)" in reply.text
        assert "localhost" in reply.text
        await _set_pin(bot)
        assert await bot.rig.engine.has_pin(f"tg:{ANN.id}")
        posted = await bot.post("/split 90 3 Dinner", user=BOB)
        await bot.start_paying(ANN, posted.token)
        assert not [d for d in bot.api.callback_data() if d.startswith("pk")]


async def test_the_keypad_and_the_page_do_not_both_go_on(bot: BotRig) -> None:
    """The payer opens the page, then types the password after all, then confirms on the
    page too: one checkout, and the page's success is only acknowledged."""
    await _enrol(bot)
    posted = await bot.post("/split 90 3 Dinner", user=BOB)
    await bot.start_paying(ANN, posted.token)
    await bot.press(ANN, bot.api.last(ANN.id), f"pkp:{posted.token}")
    page = bot.api.last(ANN.id)
    await bot.enter(ANN, PIN)
    assert "held for you" in bot.api.last(ANN.id).text
    before = len(bot.api.sent(ANN.id))

    await _page(bot, _link_of(page))

    (after,) = bot.api.sent(ANN.id)[before:]
    assert after.text == "✅ Verified. You went on with your payment password already."


async def test_a_forged_remove_button_cannot_remove_another_payers_passkey(bot: BotRig) -> None:
    await _enrol(bot)
    (key,) = await bot.rig.engine.passkeys_of(f"tg:{ANN.id}")
    shown = (await bot.send(BOB, "/passkey"))[-1]
    await bot.press(BOB, shown, f"pkr:{key.id}")
    assert "not there any more" in bot.api.answers()[-1].params["text"]
    assert await bot.rig.engine.passkeys_of(f"tg:{ANN.id}") == [key]


async def test_a_check_finished_after_a_restart_asks_to_tap_pay_again(tmp_path: Path) -> None:
    """The bot's memory of the open page is gone after a restart; the link still works, and
    the payer is told how to go on instead of being left waiting."""
    rig = build_rig().swap(passkeys=FakeCeremony())
    async with running_bot(tmp_path, rig) as before:
        await _enrol(before)
        posted = await before.post("/split 90 3 Dinner", user=BOB)
        await before.start_paying(ANN, posted.token)
        await before.press(ANN, before.api.last(ANN.id), f"pkp:{posted.token}")
        link = _link_of(before.api.last(ANN.id))
    async with running_bot(tmp_path, rig) as after:
        await _page(after, link)
        (told,) = after.api.sent(ANN.id)
        assert told.text == "✅ Verified. Please tap Pay on the order again to go on."
        await after.start_paying(ANN, posted.token)
        await after.enter(ANN, PIN)
        assert "held for you" in after.api.last(ANN.id).text
