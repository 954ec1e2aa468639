"""Slots for the CPU-bound checks of secrets (scrypt): a crowd of guesses waits a bounded time
for one, or is refused, and never queues past the lifetime of the try it counted."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import TypeVar

from core.domain.errors import LockedOut
from core.domain.tries import BUSY_S

T = TypeVar("T")

# Checks that run at once: fewer than the default executor's threads (min(32, cores + 4)), so
# a check never waits there behind another, and its wait for a slot is all the waiting.
CHECK_SLOTS = 4
# A try counts for core.domain.tries.TRY_TTL_S (60 s) after it is taken; its check starts well
# before.
CHECK_WAIT_S = 10.0


class CheckSlots:
    """At most `slots` checks at once; a check that waits `wait_s` for one is refused."""

    def __init__(self, slots: int = CHECK_SLOTS, wait_s: float = CHECK_WAIT_S) -> None:
        self._slots = asyncio.Semaphore(slots)
        self._wait_s = wait_s

    async def run(self, check: Callable[[str, str], T], secret: str, stored: str) -> T:
        """`check(secret, stored)` in a worker thread once a slot is free; LockedOut ('too
        many tries at once', Retry-After) when none frees up in time."""
        try:
            async with asyncio.timeout(self._wait_s):
                await self._slots.acquire()
        except TimeoutError:
            raise LockedOut(
                "too many tries at once; wait a minute and try again", retry_after_s=BUSY_S
            ) from None
        try:
            return await asyncio.to_thread(check, secret, stored)
        finally:
            self._slots.release()
