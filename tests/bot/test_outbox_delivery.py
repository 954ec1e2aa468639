"""What the postman does with each answer Telegram gives: sent once, tried again after a passing
error for as long as Telegram is away, held for a person who never started the bot, moved with a
group that became a supergroup, and sent again when it was in flight at a stop."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy.exc import OperationalError

from bot.chat.events import letters_of
from bot.chat.postman import Postman
from bot.chat.relay import Relay
from core.domain.outbox import QueuedLetter, event_of
from tests.support.ptb import BOB, GROUP, BotRig, Fault, Posted, running_bot


async def _settle(bot: BotRig, posted: Posted, n: int) -> None:
    """`n` bot payers pay; the bot is not told yet (their events wait in the outbox)."""
    for who in range(2001, 2001 + n):
        res = await bot.rig.engine.reserve(
            posted.token, f"tg:{who}", payer_name=f"P{who}", source=f"tg:{who}"
        )
        assert res.sub.checkout_ref is not None
        await bot.rig.engine.apply_event(bot.rig.gateway.pay(res.sub.checkout_ref))


async def _pay_all(bot: BotRig, posted: Posted, n: int, *, drain: bool = True) -> None:
    """`n` bot payers pay and the bot is told; `drain` False leaves the progress edits
    running (they never give up while Telegram is away)."""
    await _settle(bot, posted, n)
    await bot.flush(drain=drain)


async def _group_letter(bot: BotRig) -> QueuedLetter:
    """Both parts paid, the events relayed: the group's announcement, not sent yet."""
    posted = await bot.post("/split 20 2 Taxi")
    await _settle(bot, posted, 2)
    assert bot.deps.relay is not None
    await bot.deps.relay.pass_once()
    [announcement] = [q for q in await bot.rig.engine.due_letters() if q.letter.chat_id == GROUP]
    return announcement


def _announcements(bot: BotRig, chat_id: int = GROUP) -> list[str]:
    return [c.text for c in bot.api.sent(chat_id, "sendMessage") if "collected" in c.text]


async def _later(bot: BotRig, seconds: float) -> None:
    """Time passes (the outbox's clock is the engine's), then the postman looks again."""
    bot.rig.clock.advance(seconds=seconds)
    await bot.deliver()


async def test_an_announcement_refused_by_server_errors_is_sent_once_telegram_answers(
    tmp_path: Path,
) -> None:
    async with running_bot(tmp_path) as bot:
        posted = await bot.post("/split 20 2 Taxi")
        for status in (500, 502):
            bot.api.faults.append(Fault("sendMessage", status, "Server Error", chat_id=GROUP))
        await _pay_all(bot, posted, 2)
        assert _announcements(bot) == []
        await _later(bot, 1)  # the first retry after 1 s: the second error
        assert _announcements(bot) == []
        await _later(bot, 2)  # then 2 s
        assert len(_announcements(bot)) == 1
        await _later(bot, 60)
        assert len(_announcements(bot)) == 1
        assert "all 2 payers paid" in _announcements(bot)[0]
        assert (await bot.rig.engine.outbox_depth()).letters == 0


async def test_an_outage_longer_than_any_retry_budget_loses_nothing(tmp_path: Path) -> None:
    """Telegram answers 502 to every call for five minutes of the outbox's clock (messages
    were once given up after four) while both payments settle; then it is back."""
    async with running_bot(tmp_path, edit_interval_s=0.05) as bot:
        posted = await bot.post("/split 20 2 Taxi")
        await bot.api.emulator.set_outage(502)
        await _pay_all(bot, posted, 2, drain=False)
        for _ in range(10):
            await _later(bot, 30)
        assert _announcements(bot) == []
        postman = bot.deps.postman
        assert postman is not None
        assert not await postman.probe()  # still down
        await bot.api.emulator.set_outage(None)
        assert await postman.probe()  # back: what was backing off (up to a minute) goes now
        await bot.deliver()
        await bot.board.drain()
        assert len(_announcements(bot)) == 1
        for who in (2001, 2002):
            receipts = [c for c in bot.api.sent(who) if "Payment received" in c.text]
            assert len(receipts) == 1, who
        progress = [c for c in bot.api.edits(GROUP) if c.ok]
        assert "Paid 2/2" in progress[-1].text
        assert (await bot.rig.engine.outbox_depth()).letters == 0


async def test_a_letter_telegram_refuses_for_good_is_failed_and_never_sent_again(
    tmp_path: Path,
) -> None:
    async with running_bot(tmp_path) as bot:
        posted = await bot.post("/split 20 2 Taxi")
        bot.api.faults.append(
            Fault("sendMessage", 400, "Bad Request: chat not found", chat_id=GROUP)
        )
        await _pay_all(bot, posted, 2)
        await _later(bot, 120)
        assert _announcements(bot) == []
        depth = await bot.rig.engine.outbox_depth()
        assert (depth.letters, depth.held) == (0, 0)


async def test_a_receipt_for_someone_who_never_started_the_bot_waits_for_their_start(
    tmp_path: Path,
) -> None:
    async with running_bot(tmp_path) as bot:
        posted = await bot.post("/split 20 2 Taxi")
        held = await bot.reserve(BOB, posted.token)
        bot.api.never_started.add(BOB.id)  # then Bob blocked the bot
        await bot.pay_checkout(held)
        hints = [c for c in bot.api.sent(GROUP, "sendMessage") if "Bob" in c.text]
        assert len(hints) == 1
        assert hints[0].buttons  # the button that opens the bot
        assert (await bot.rig.engine.outbox_depth()).held == 1
        bot.api.never_started.discard(BOB.id)
        await bot.send(BOB, "/start")
        receipts = [c for c in bot.api.sent(BOB.id) if "Payment received" in c.text]
        assert len(receipts) == 1
        assert receipts[0].buttons  # the proof button survived the wait
        assert (await bot.rig.engine.outbox_depth()).held == 0


async def test_letters_follow_a_group_that_became_a_supergroup(tmp_path: Path) -> None:
    async with running_bot(tmp_path) as bot:
        posted = await bot.post("/split 20 2 Taxi")
        bot.api.migrate(GROUP, -1009)
        await _pay_all(bot, posted, 2)
        await _later(bot, 1)
        assert _announcements(bot, GROUP) == []
        assert len(_announcements(bot, -1009)) == 1


async def test_a_letter_in_flight_at_a_stop_is_sent_again_and_counted(tmp_path: Path) -> None:
    async with running_bot(tmp_path) as bot:
        engine = bot.rig.engine
        announcement = await _group_letter(bot)
        assert await engine.letter_sending(announcement.id)  # then the process was killed

        restarted = Postman(bot.app.bot, engine)
        assert await restarted.start() == 1
        await restarted.drain()
        assert len(_announcements(bot)) == 1
        assert (await engine.outbox_depth()).letters == 0


async def test_a_letter_left_in_flight_by_a_failed_step_is_sent_again_not_stuck(
    tmp_path: Path,
) -> None:
    """Telegram took it, then the database failed before it was marked sent: the chat's
    later letters must not wait behind it for ever."""
    async with running_bot(tmp_path) as bot:
        stuck = await _group_letter(bot)
        assert await bot.rig.engine.letter_sending(stuck.id)  # and nothing more happened to it
        await bot.deliver()  # found left in flight: pending again, after a backoff
        assert _announcements(bot) == []
        await _later(bot, 1)
        assert len(_announcements(bot)) == 1


async def test_a_person_the_bot_has_never_met_gets_the_hint_and_the_message_waits(
    tmp_path: Path,
) -> None:
    async with running_bot(tmp_path) as bot:
        posted = await bot.post("/split 20 2 Taxi")
        held = await bot.reserve(BOB, posted.token)
        bot.api.faults.append(
            Fault("sendMessage", 400, "Bad Request: chat not found", chat_id=BOB.id)
        )
        await bot.pay_checkout(held)
        assert [c for c in bot.api.sent(GROUP, "sendMessage") if "Bob" in c.text]
        assert (await bot.rig.engine.outbox_depth()).held == 1
        await bot.send(BOB, f"/start {posted.token}")  # any link to the bot releases them
        assert [c for c in bot.api.sent(BOB.id) if "Payment received" in c.text]


async def test_an_event_whose_letters_fail_holds_up_the_ones_after_it_then_goes_out(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    async with running_bot(tmp_path) as bot:
        posted = await bot.post("/split 20 2 Taxi")
        engine = bot.rig.engine
        await _settle(bot, posted, 2)
        now = [0.0]
        assert bot.deps.postman is not None
        relay = Relay(bot.app, engine, bot.deps.board, bot.deps.postman.wake, clock=lambda: now[0])
        failures = [OperationalError("SELECT", None, ConnectionRefusedError())]

        async def flaky(context: object, event: object) -> object:
            if failures:
                raise failures.pop()
            return await letters_of(context, event)  # type: ignore[arg-type]

        monkeypatch.setattr("bot.chat.relay.letters_of", flaky)
        assert await relay.pass_once() == 0  # the first event failed: none after it went
        assert len(await engine.due_events()) == 3
        assert await relay.pass_once() == 0  # not yet: 1 s of backoff
        now[0] = 1.0
        assert await relay.pass_once() == 3
        await bot.deliver()
        assert len(_announcements(bot)) == 1


async def test_an_event_this_version_cannot_read_is_let_go() -> None:
    assert event_of("SubOrderPaid", '{"order_id": "ord_1"}') is None  # fields missing
    assert event_of("SomethingNew", "{}") is None
