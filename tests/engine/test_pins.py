"""Payment passwords: six digits, hashed, five wrong tries lock for 15 min, doubling; locks last."""

from __future__ import annotations

import asyncio

import pytest

from core.domain.errors import InvalidInput, LockedOut, NotAllowed, WrongPassword
from tests.support.harness import Rig, build_rig

PIN = "204913"


async def test_a_pin_is_set_once_and_checked(rig: Rig) -> None:
    assert not await rig.engine.has_pin("tg:1")
    await rig.engine.set_pin("tg:1", PIN)
    assert await rig.engine.has_pin("tg:1")
    await rig.engine.verify_pin("tg:1", PIN)
    with pytest.raises(NotAllowed):
        await rig.engine.set_pin("tg:1", "739155")
    async with rig.store.transaction() as tx:
        auth = await tx.payers.get_payer_auth("tg:1")
    assert auth is not None
    assert auth.pin_hash is not None
    assert PIN not in auth.pin_hash


@pytest.mark.parametrize(
    "pin", ["12345", "1234567", "12a456", "111111", "123456", "987654", "١٢٣٤٥٦"]
)
async def test_weak_or_malformed_pins_are_refused(rig: Rig, pin: str) -> None:
    with pytest.raises(InvalidInput):
        await rig.engine.set_pin("tg:1", pin)
    assert not await rig.engine.has_pin("tg:1")


async def test_five_wrong_tries_lock_for_15_minutes_then_30(rig: Rig) -> None:
    await rig.engine.set_pin("tg:1", PIN)
    for left in (4, 3, 2, 1):
        with pytest.raises(WrongPassword, match=f"{left} tries left"):
            await rig.engine.verify_pin("tg:1", "000001")
    with pytest.raises(LockedOut, match="15 min"):
        await rig.engine.verify_pin("tg:1", "000001")
    with pytest.raises(LockedOut):
        await rig.engine.verify_pin("tg:1", PIN)  # even the right one, while locked
    rig.clock.advance(minutes=15, seconds=1)
    for _ in range(4):
        with pytest.raises(WrongPassword):
            await rig.engine.verify_pin("tg:1", "000001")
    with pytest.raises(LockedOut, match="30 min"):
        await rig.engine.verify_pin("tg:1", "000001")


async def test_a_lock_survives_a_restart(rig: Rig) -> None:
    await rig.engine.set_pin("tg:1", PIN)
    for _ in range(4):
        with pytest.raises(WrongPassword):
            await rig.engine.verify_pin("tg:1", "000001")
    with pytest.raises(LockedOut):
        await rig.engine.verify_pin("tg:1", "000001")
    restarted = build_rig(store=rig.store)  # a new engine on the same database
    restarted.clock.at = rig.clock.at
    with pytest.raises(LockedOut):
        await restarted.engine.verify_pin("tg:1", PIN)


async def test_parallel_guesses_get_no_more_than_five_checks(rig: Rig) -> None:
    await rig.engine.set_pin("tg:1", PIN)
    checks = 0
    real_verify = rig.engine.deps.hasher.verify

    def counting(secret: str, stored: str) -> bool:
        nonlocal checks
        checks += 1
        return real_verify(secret, stored)

    rig.engine.deps.hasher.verify = counting  # type: ignore[method-assign]
    results = await asyncio.gather(
        *(rig.engine.verify_pin("tg:1", f"{i:06d}") for i in range(1, 31)),
        return_exceptions=True,
    )
    assert checks <= 5
    assert all(isinstance(r, WrongPassword | LockedOut) for r in results)


async def test_changing_the_pin_needs_the_old_one(rig: Rig) -> None:
    await rig.engine.set_pin("tg:1", PIN)
    with pytest.raises(WrongPassword):
        await rig.engine.change_pin("tg:1", "000001", "739155")
    await rig.engine.change_pin("tg:1", PIN, "739155")
    await rig.engine.verify_pin("tg:1", "739155")
