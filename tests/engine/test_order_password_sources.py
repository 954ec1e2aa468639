"""An order's password is guessed per source (a Telegram user, an address or IPv6 /64): ten
wrong tries lock that source alone; past the order's ceiling every source is slowed to a try
a minute and each wrong try locks its source at once, a source that has not failed is never
locked for another's guesses, and the payee is told once and can clear it."""

from __future__ import annotations

import asyncio
from datetime import timedelta

import pytest

from core.domain.errors import LockedOut, NotFound, WrongPassword
from core.domain.events import PasswordUnderAttack
from core.domain.model import OrderId, PayeeId
from core.domain.money import currency
from core.domain.params import MAX_VALID, RawOrder, build_request
from core.domain.tries import ORDER_GUESSES_A_DAY as CEILING
from core.domain.tries import PasswordLocks
from core.usecases.reservations import ORDER_PASSWORD_LOCK_S, ORDER_PASSWORD_TRIES
from tests.support.harness import Rig

PASSWORD = "open sesame"


async def _order(rig: Rig) -> tuple[PayeeId, str, str]:
    """A payee and their order with a password, valid 30 days: (payee, order id, token)."""
    payee = await rig.payee()
    raw = RawOrder(currency("USD"), total="500", payers=50, valid=MAX_VALID, password=PASSWORD)
    view = await rig.engine.create_order(payee, build_request(raw, 10_000_000))
    return payee, view.order.id, view.order.token


async def _guess(rig: Rig, token: str, source: str, payer: str = "mallory") -> str:
    """One wrong guess: what it was answered ('wrong', 'locked' or 'slowed')."""
    try:
        await rig.engine.reserve(token, payer, password="a guess", source=source)
    except WrongPassword:
        return "wrong"
    except LockedOut as exc:
        return "locked" if "until" in exc.fields else "slowed"
    raise AssertionError("a wrong password was taken")


async def _attack(rig: Rig, token: str, failures: int, net: int = 1) -> None:
    """`failures` wrong guesses, each from an address of its own in 10.<net>.0.0/16: each is
    'wrong', or (once the order is under attack) 'locked' at once."""
    for i in range(failures):
        answer = await _guess(rig, token, f"ip:10.{net}.{i // 250}.{i % 250}")
        assert answer in ("wrong", "locked")


async def test_ten_wrong_tries_lock_only_that_source(rig: Rig) -> None:
    _, _, token = await _order(rig)
    answers = [await _guess(rig, token, "ip:203.0.113.9") for _ in range(ORDER_PASSWORD_TRIES)]
    assert answers == ["wrong"] * (ORDER_PASSWORD_TRIES - 1) + ["locked"]
    with pytest.raises(LockedOut) as locked:  # the right password too, from there
        await rig.engine.reserve(token, "ann", password=PASSWORD, source="ip:203.0.113.9")
    assert locked.value.fields["retry_after_s"] == ORDER_PASSWORD_LOCK_S
    assert await _guess(rig, token, "ip:203.0.113.10") == "wrong"  # the next address: its own
    held = await rig.engine.reserve(token, "bob", password=PASSWORD, source="tg:42")
    assert held.created


async def test_a_source_is_locked_again_for_twice_as_long(rig: Rig) -> None:
    _, _, token = await _order(rig)
    for span in (ORDER_PASSWORD_LOCK_S, 2 * ORDER_PASSWORD_LOCK_S):
        for _ in range(ORDER_PASSWORD_TRIES):
            await _guess(rig, token, "tg:666")
        with pytest.raises(LockedOut) as locked:
            await rig.engine.reserve(token, "x", password=PASSWORD, source="tg:666")
        assert locked.value.fields["retry_after_s"] == span
        rig.clock.advance(seconds=span)


async def test_past_the_ceiling_one_wrong_try_locks_its_source(rig: Rig) -> None:
    _, _, token = await _order(rig)
    await _attack(rig, token, CEILING - 1)
    assert await _guess(rig, token, "ip:192.0.2.1") == "locked"  # the 100th: locked at once
    assert await _guess(rig, token, "ip:192.0.2.2") == "locked"  # a new source: one try
    with pytest.raises(LockedOut) as locked:  # the right password too, from there
        await rig.engine.reserve(token, "ann", password=PASSWORD, source="ip:192.0.2.2")
    assert locked.value.fields["retry_after_s"] == ORDER_PASSWORD_LOCK_S
    held = await rig.engine.reserve(token, "tg:5", password=PASSWORD, source="tg:5")
    assert held.created  # a source that has not failed pays at once


async def test_past_the_ceiling_a_source_gets_one_try_a_minute(
    rig: Rig, monkeypatch: pytest.MonkeyPatch
) -> None:
    _, _, token = await _order(rig)
    await _attack(rig, token, CEILING)
    hasher, checks = rig.engine.deps.hasher, []
    real = hasher.verify

    def counted(secret: str, stored: str) -> bool:
        checks.append(secret)
        return real(secret, stored)

    monkeypatch.setattr(hasher, "verify", counted)
    at_once = await asyncio.gather(*(_guess(rig, token, "ip:192.0.2.1") for _ in range(3)))
    # one is checked (and locks the source); the others are refused unchecked, as slowed or,
    # once the first has locked it, as locked
    assert len(checks) == 1
    assert set(at_once) <= {"locked", "slowed"}


async def test_an_attack_never_locks_out_a_source_that_has_not_failed(rig: Rig) -> None:
    _, _, token = await _order(rig)
    await _attack(rig, token, CEILING + 20)
    for n in range(5):
        held = await rig.engine.reserve(
            token, f"tg:{n + 1}", password=PASSWORD, source=f"tg:{n + 1}"
        )
        assert held.created
    again = await rig.engine.reserve(token, "tg:1", password=PASSWORD, source="tg:1")
    assert not again.created  # the same part again: a right try never slows the next one


async def test_the_payee_is_told_once_when_the_order_is_under_attack(rig: Rig) -> None:
    _, order_id, token = await _order(rig)
    await _attack(rig, token, CEILING - 1)
    assert rig.notifier.of(PasswordUnderAttack) == []
    await _attack(rig, token, 30, net=2)
    (told,) = rig.notifier.of(PasswordUnderAttack)
    assert told == PasswordUnderAttack(OrderId(order_id), rig.clock.now(), CEILING, rig.clock.now())


async def test_parallel_guesses_tell_the_payee_once(rig: Rig) -> None:
    _, _, token = await _order(rig)
    await _attack(rig, token, CEILING - 5)
    answers = await asyncio.gather(
        *(_guess(rig, token, f"ip:192.0.2.{i}") for i in range(40)), return_exceptions=True
    )
    assert set(answers) <= {"wrong", "locked"}  # locked at once from the ceiling on
    assert len(rig.notifier.of(PasswordUnderAttack)) == 1


async def test_the_payee_sees_the_guesses_and_clears_the_locks(rig: Rig) -> None:
    payee, order_id, token = await _order(rig)
    assert await rig.engine.password_locks(order_id, payee) == PasswordLocks(0, 0, None)
    for source in ("tg:1", "tg:2"):
        for _ in range(ORDER_PASSWORD_TRIES):
            await _guess(rig, token, source)
    await _attack(rig, token, CEILING - 2 * ORDER_PASSWORD_TRIES)
    since = rig.clock.now()
    locks = await rig.engine.password_locks(order_id, payee)
    assert locks == PasswordLocks(CEILING, 3, since)  # the 100th locked its source

    assert await rig.engine.clear_password_locks(order_id, payee) > 2
    assert await rig.engine.password_locks(order_id, payee) == PasswordLocks(0, 0, None)
    held = await rig.engine.reserve(token, "ann", password=PASSWORD, source="tg:1")
    assert held.created
    await _attack(rig, token, CEILING, net=3)  # a new attack is told again
    assert len(rig.notifier.of(PasswordUnderAttack)) == 2


async def test_another_payees_order_has_no_password_locks_to_see(rig: Rig) -> None:
    _, order_id, _ = await _order(rig)
    other = await rig.payee("Bob")
    with pytest.raises(NotFound):
        await rig.engine.password_locks(order_id, other)
    with pytest.raises(NotFound):
        await rig.engine.clear_password_locks(order_id, other)
    with pytest.raises(NotFound):
        await rig.engine.password_locks("ord_missing", other)


async def test_the_attack_ends_a_day_after_its_first_guess(rig: Rig) -> None:
    payee, order_id, token = await _order(rig)
    await _attack(rig, token, CEILING)
    rig.clock.advance(hours=24)
    assert await rig.engine.password_locks(order_id, payee) == PasswordLocks(0, 0, None)
    assert await _guess(rig, token, "ip:10.1.0.0") == "wrong"  # not slowed any more
    assert await _guess(rig, token, "ip:10.1.0.0") == "wrong"
    assert (await rig.engine.password_locks(order_id, payee)).failures_today == 2


async def test_under_attack_a_new_source_gets_seven_guesses_in_the_day(
    rig: Rig, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Each wrong try locks it: 15 min, 30 min, 1 h, 2 h, 4 h, 8 h, then 16 h, past the
    attack's day; counted as the checks a guesser gets who tries as soon as allowed."""
    _, _, token = await _order(rig)
    await _attack(rig, token, CEILING)
    hasher, checks = rig.engine.deps.hasher, []
    real = hasher.verify

    def counted(secret: str, stored: str) -> bool:
        checks.append(rig.clock.now())
        return real(secret, stored)

    monkeypatch.setattr(hasher, "verify", counted)
    start = rig.clock.now()
    while rig.clock.now() < start + timedelta(days=1):
        try:
            await rig.engine.reserve(token, "x", password="a guess", source="ip:192.0.2.9")
        except LockedOut as exc:
            rig.clock.advance(seconds=max(1, int(exc.fields["retry_after_s"])))
    assert len(checks) == 7


async def test_an_ended_orders_password_counters_are_forgotten_by_the_tick(rig: Rig) -> None:
    payee, order_id, token = await _order(rig)
    for _ in range(ORDER_PASSWORD_TRIES):
        await _guess(rig, token, "ip:203.0.113.9")
    assert (await rig.engine.password_locks(order_id, payee)).locked_sources == 1
    await rig.engine.cancel_order(order_id, payee)
    await rig.engine.tick()
    assert await rig.engine.password_locks(order_id, payee) == PasswordLocks(0, 0, None)
