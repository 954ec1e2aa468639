"""Guessing secrets: payment passwords and order passwords stay locked across restarts,
chats and payer names, and parallel guesses get no more checks than sequential ones.

(API keys: tests/web/test_auth.py, the per-address limit.)
"""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest

from core.domain.errors import LockedOut, WrongPassword
from core.domain.model import SubOrderState
from core.domain.money import currency
from core.domain.params import MAX_VALID, RawOrder, build_request
from core.domain.tries import MAX_LOCK_S, lock_span_s
from core.usecases.engine import Engine
from core.usecases.pins import LOCK_S, MAX_FAILURES
from core.usecases.reservations import ORDER_PASSWORD_LOCK_S, ORDER_PASSWORD_TRIES
from tests.support.backends import copy_sqlite
from tests.support.harness import Rig, build_rig, open_store
from tests.support.ptb import ANN, BOB, OTHER_PIN, PIN, BotRig, running_bot
from tests.web.conftest import client_for, make_app

USD = currency("USD")
ORDER_PASSWORD = "open sesame"
ATTACKER = "ip:127.0.0.1"  # the address the ASGI test client calls from, as web.clients sees it
OTHER_GROUP = -4002


def restarted(rig: Rig) -> Rig:
    """A new engine (no state of its own) on the same database, at the same time."""
    fresh = build_rig(store=rig.store)
    fresh.clock.at = rig.clock.at
    return fresh


def counting_checks(engine: Engine) -> list[str]:
    """The password hasher's verify, recording each secret it checks."""
    checked: list[str] = []
    real = engine.deps.hasher.verify

    def counting(secret: str, stored: str) -> bool:
        checked.append(secret)
        return real(secret, stored)

    engine.deps.hasher.verify = counting  # type: ignore[method-assign]
    return checked


async def guarded_order(rig: Rig) -> str:
    """An order with a password, valid for the longest time allowed (30 days)."""
    payee = await rig.payee()
    raw = RawOrder(USD, total="240", payers=6, valid=MAX_VALID, password=ORDER_PASSWORD)
    view = await rig.engine.create_order(payee, build_request(raw, 10_000_000))
    return view.order.token


async def guess_until_locked(rig: Rig, token: str, payer: str = "mallory") -> int:
    """Wrong order passwords from ATTACKER until the lock; how many were answered 'wrong'."""
    wrong = 0
    for i in range(ORDER_PASSWORD_TRIES + 5):
        try:
            await rig.engine.reserve(token, f"{payer}{i}", password=f"guess{i}", source=ATTACKER)
        except WrongPassword:
            wrong += 1
        except LockedOut:
            return wrong
    raise AssertionError("never locked")


# ---- order passwords ----


async def test_an_order_password_lock_holds_across_payer_names_and_a_restart(rig: Rig) -> None:
    token = await guarded_order(rig)
    # every guess under a new payer reference: the count is the source's, not the payer's
    assert await guess_until_locked(rig, token) == ORDER_PASSWORD_TRIES - 1

    again = restarted(rig)
    with pytest.raises(LockedOut) as locked:
        await again.engine.reserve(token, "mallory", password=ORDER_PASSWORD, source=ATTACKER)
    assert locked.value.fields["retry_after_s"] == ORDER_PASSWORD_LOCK_S
    honest = await again.engine.reserve(token, "ann", password=ORDER_PASSWORD, source="tg:7")
    assert honest.sub.state == SubOrderState.RESERVED

    again.clock.advance(seconds=ORDER_PASSWORD_LOCK_S + 1)
    held = await again.engine.reserve(token, "mallory", password=ORDER_PASSWORD, source=ATTACKER)
    assert held.sub.state == SubOrderState.RESERVED


async def test_parallel_order_password_guesses_get_ten_checks_at_most(rig: Rig) -> None:
    """Regression: the lock was read before the check and counted after it, so 400
    parallel guesses got 400 checks, pushed the lock-out count to 29 and the 30th
    doubling past the year 9999 (OverflowError, a 503 on the API)."""
    token = await guarded_order(rig)
    checks = counting_checks(rig.engine)

    results = await asyncio.gather(
        *(
            rig.engine.reserve(token, f"m{i}", password=f"guess{i}", source=ATTACKER)
            for i in range(200)
        ),
        return_exceptions=True,
    )

    assert len(checks) <= ORDER_PASSWORD_TRIES
    assert {type(r) for r in results} <= {WrongPassword, LockedOut}
    with pytest.raises(LockedOut):
        await rig.engine.reserve(token, "m0", password=ORDER_PASSWORD, source=ATTACKER)


async def test_a_right_order_password_does_not_use_up_a_try(rig: Rig) -> None:
    token = await guarded_order(rig)
    for i in range(ORDER_PASSWORD_TRIES - 1):
        with pytest.raises(WrongPassword):
            await rig.engine.reserve(token, f"m{i}", password="wrong", source=ATTACKER)
    for payer in ("ann", "bob", "cid"):  # three right passwords in between, from there too
        await rig.engine.reserve(token, payer, password=ORDER_PASSWORD, source=ATTACKER)
    with pytest.raises(LockedOut):  # the tenth wrong one still locks
        await rig.engine.reserve(token, "m9", password="wrong", source=ATTACKER)


async def test_lock_outs_double_up_to_a_day_and_never_overflow(rig: Rig) -> None:
    token = await guarded_order(rig)
    spans: list[int] = []
    for _ in range(12):  # 15 min, 30 min, ... 16 h, then a day: 6.3 days of the 30
        await guess_until_locked(rig, token)
        with pytest.raises(LockedOut) as locked:
            await rig.engine.reserve(token, "x", password="wrong", source=ATTACKER)
        spans.append(int(locked.value.fields["retry_after_s"]))
        rig.clock.advance(seconds=spans[-1] + 1)
    assert spans[:3] == [
        ORDER_PASSWORD_LOCK_S,
        2 * ORDER_PASSWORD_LOCK_S,
        4 * ORDER_PASSWORD_LOCK_S,
    ]
    assert max(spans) == spans[-1] == MAX_LOCK_S


async def test_a_locked_order_password_is_429_with_retry_after_on_the_api(rig: Rig) -> None:
    token = await guarded_order(rig)
    await guess_until_locked(rig, token)
    async with client_for(make_app(restarted(rig))) as client:
        response = await client.post(
            f"/api/v1/pay/{token}/reserve", json={"payer": "ann", "password": ORDER_PASSWORD}
        )
    assert response.status_code == 429
    assert response.headers["Retry-After"] == str(ORDER_PASSWORD_LOCK_S)
    assert response.json()["error"] == "locked_out"


def test_the_lock_span_doubles_to_a_day_whatever_the_count() -> None:
    spans = [lock_span_s(LOCK_S, n) for n in (0, 1, 2, 6, 7, 29, 30, 10**6)]
    assert spans == [LOCK_S, 2 * LOCK_S, 4 * LOCK_S, 64 * LOCK_S, *[MAX_LOCK_S] * 4]
    assert lock_span_s(2 * MAX_LOCK_S, 5) == 2 * MAX_LOCK_S  # a longer first lock is kept


# ---- payment passwords ----


async def test_payment_password_lock_outs_are_capped_at_a_day(rig: Rig) -> None:
    await rig.engine.set_pin("tg:1", PIN)
    for _ in range(30):  # uncapped, the 29th lock-out ended past the year 9999
        for _ in range(MAX_FAILURES):
            with pytest.raises((WrongPassword, LockedOut)):
                await rig.engine.verify_pin("tg:1", OTHER_PIN)
        with pytest.raises(LockedOut) as locked:
            await rig.engine.verify_pin("tg:1", PIN)
        rig.clock.advance(seconds=int(locked.value.fields["retry_after_s"]) + 1)
    assert locked.value.fields["retry_after_s"] == MAX_LOCK_S
    await rig.engine.verify_pin("tg:1", PIN)  # and a right one after it clears the count


async def _lock_out_in_the_bot(bot: BotRig) -> None:
    """Bob sets his payment password, then types a wrong one five times paying in GROUP."""
    first = await bot.post("/split 100 4 Dinner")
    await bot.reserve(BOB, first.token)
    second = await bot.post("/split 60 3 Taxi")
    await bot.start_paying(BOB, second.token)
    for _ in range(MAX_FAILURES):
        await bot.enter(BOB, OTHER_PIN)
    assert "Too many wrong passwords" in bot.api.edits(BOB.id)[-1].text


async def test_a_payment_password_lock_holds_in_another_chat(bot: BotRig) -> None:
    await _lock_out_in_the_bot(bot)
    elsewhere = await bot.post("/split 30 2 Lunch", user=ANN, chat_id=OTHER_GROUP)
    checkouts = len(bot.rig.gateway.checkouts)

    await bot.start_paying(BOB, elsewhere.token)
    await bot.enter(BOB, PIN)  # the right password, in a flow started from another group

    assert "Too many wrong passwords" in bot.api.edits(BOB.id)[-1].text
    assert len(bot.rig.gateway.checkouts) == checkouts
    view = await bot.rig.engine.public_order(elsewhere.token)
    assert {s.state for s in view.subs} == {SubOrderState.AVAILABLE}


async def test_a_payment_password_lock_holds_across_a_bot_restart(
    tmp_path: Path, sqlite_template: Path
) -> None:
    url = copy_sqlite(sqlite_template, tmp_path)
    async with open_store(url) as store:
        async with running_bot(tmp_path / "first", build_rig(store)) as bot:
            await _lock_out_in_the_bot(bot)
            token = (await bot.post("/split 30 2 Lunch")).token
        # a new process: a new engine and a new bot on the same database
        async with running_bot(tmp_path / "second", build_rig(store)) as bot:
            await bot.start_paying(BOB, token)
            await bot.enter(BOB, PIN)
            assert "Too many wrong passwords" in bot.api.edits(BOB.id)[-1].text
            view = await bot.rig.engine.public_order(token)
            assert {s.state for s in view.subs} == {SubOrderState.AVAILABLE}
