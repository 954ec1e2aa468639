"""Password checks run in a bounded number of slots: a crowd of guesses waits a bounded time
for one or is refused uncounted, so no try waits for its check past its lifetime and one
source never gets more checks than its limit."""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Sequence

import pytest

from core.domain.errors import LockedOut, WrongPassword
from core.usecases.check_slots import CheckSlots
from core.usecases.reservations import ORDER_PASSWORD_TRIES
from tests.support.harness import Rig, request


async def test_a_check_that_finds_no_free_slot_in_time_is_refused() -> None:
    slots = CheckSlots(slots=1, wait_s=0.2)
    release = threading.Event()

    def slow(secret: str, stored: str) -> bool:
        release.wait(5)
        return secret == stored

    first = asyncio.ensure_future(slots.run(slow, "a", "a"))
    await asyncio.sleep(0.05)
    with pytest.raises(LockedOut) as refused:
        await slots.run(slow, "b", "b")
    assert refused.value.fields["retry_after_s"] == 60
    release.set()
    assert await first is True
    assert await slots.run(slow, "c", "d") is False  # the slot is free again


async def test_a_crowd_of_guesses_gets_no_more_checks_than_its_limit(
    rig: Rig, monkeypatch: pytest.MonkeyPatch
) -> None:
    engine = rig.swap(checks=CheckSlots(slots=2, wait_s=0.3)).engine
    view = await engine.create_order(await rig.payee(), request(password="open sesame"))
    release, checks = threading.Event(), []
    real = engine.deps.hasher.verify

    def blocked(secret: str, stored: str) -> bool:
        checks.append(secret)
        release.wait(5)
        return real(secret, stored)

    monkeypatch.setattr(engine.deps.hasher, "verify", blocked)

    async def guess() -> str:
        try:
            await engine.reserve(view.order.token, "x", "a guess", source="ip:192.0.2.7")
        except WrongPassword:
            return "wrong"
        except LockedOut:
            return "refused"
        return "taken"

    crowd = [asyncio.ensure_future(guess()) for _ in range(3 * ORDER_PASSWORD_TRIES)]
    # every wait for a slot is over (refused, its try given back) but the two checks running
    await _all_but(2, crowd)
    rig.clock.advance(seconds=61)  # the checks still running are past a try's lifetime
    later = [asyncio.ensure_future(guess()) for _ in range(ORDER_PASSWORD_TRIES)]
    await _all_but(0, later)  # the two slots are still taken: each waits, and is refused
    crowd += later
    release.set()
    answers = await asyncio.gather(*crowd)
    assert len(checks) <= ORDER_PASSWORD_TRIES
    assert answers.count("wrong") == len(checks)
    assert set(answers) == {"wrong", "refused"}


async def _all_but(running: int, futures: Sequence[asyncio.Future[str]]) -> None:
    """Wait until all but `running` of the futures are done (at most 60 s: a loaded machine)."""
    for _ in range(600):
        if sum(not f.done() for f in futures) <= running:
            return
        await asyncio.sleep(0.1)
    raise AssertionError(f"{sum(not f.done() for f in futures)} guesses still waiting")
