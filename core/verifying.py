"""Payers' payment passwords: 6 digits, checked off the event loop, with lock-outs that last."""

from __future__ import annotations

import asyncio
import itertools
import math
from datetime import datetime

from core.base import UseCases
from core.errors import InvalidInput, LockedOut, NotAllowed, WrongPassword

PIN_LENGTH = 6
MAX_FAILURES = 5
LOCK_S = 15 * 60  # the first lock-out; each next one doubles
MAX_LOCK_S = 24 * 3600  # ...up to a day: past that, doubling only locks the owner out


def check_pin(pin: str) -> str:
    """Six ASCII digits, and not one of the guesses everyone tries first."""
    if len(pin) != PIN_LENGTH or not (pin.isascii() and pin.isdigit()):
        raise InvalidInput("pin", "the payment password is {digits} digits", digits=PIN_LENGTH)
    steps = {int(b) - int(a) for a, b in itertools.pairwise(pin)}
    if len(set(pin)) == 1 or steps in ({1}, {-1}):
        raise InvalidInput("pin", "this password is too easy to guess; choose another")
    return pin


def lock_span_s(lock_s: int, lockouts: int) -> int:
    """How long the next lock-out lasts: lock_s, doubled for each earlier one, at most a day.

    Unbounded, 15 min × 2^29 is past the year 9999 and datetime arithmetic overflows.
    """
    doubled = lock_s * int(2 ** min(lockouts, 32))
    return min(doubled, max(lock_s, MAX_LOCK_S))


def locked_out(until: datetime | None, now: datetime) -> LockedOut | None:
    if until is None or until <= now:
        return None
    seconds = math.ceil((until - now).total_seconds())
    minutes = math.ceil(seconds / 60)
    return LockedOut(
        f"too many wrong passwords; locked for {minutes} min",
        until=until,
        retry_after_s=seconds,
    )


class Verifying(UseCases):
    async def has_pin(self, payer_ref: str) -> bool:
        async with self._d.store.transaction() as tx:
            auth = await tx.get_payer_auth(payer_ref)
        return auth is not None and auth.pin_hash is not None

    async def set_pin(self, payer_ref: str, pin: str) -> None:
        """The first payment password; changing one goes through change_pin."""
        check_pin(pin)
        if await self.has_pin(payer_ref):
            raise NotAllowed("a payment password is already set; change it with the old one")
        await self._store_pin(payer_ref, pin)

    async def change_pin(self, payer_ref: str, old: str, new: str) -> None:
        check_pin(new)
        await self.verify_pin(payer_ref, old)
        await self._store_pin(payer_ref, new)

    async def verify_pin(self, payer_ref: str, pin: str) -> None:
        """Return if right; WrongPassword (tries left) or LockedOut (for how long) if not."""
        d = self._d
        now = d.clock.now()
        async with d.store.transaction() as tx:
            auth = await tx.get_payer_auth(payer_ref)
            if auth is None or auth.pin_hash is None:
                raise NotAllowed("no payment password is set yet")
            taken = await tx.take_pin_attempt(payer_ref, now, MAX_FAILURES)
        if taken is None or taken.pin_hash is None:
            raise locked_out(auth.locked_until, now) or LockedOut(
                "too many tries at once; wait a minute and try again", retry_after_s=60
            )
        ok = await asyncio.to_thread(d.hasher.verify, pin, taken.pin_hash)
        async with d.store.transaction() as tx:
            if ok:
                await tx.pin_succeeded(payer_ref)
                return
            after = await tx.pin_failed(payer_ref, d.clock.now(), MAX_FAILURES, LOCK_S)
        locked = locked_out(after.locked_until, d.clock.now())
        if locked is not None:
            raise locked
        left = MAX_FAILURES - after.failures
        raise WrongPassword(f"wrong payment password; {left} tries left", tries_left=left)

    async def _store_pin(self, payer_ref: str, pin: str) -> None:
        pin_hash = await asyncio.to_thread(self._d.hasher.hash, pin)
        async with self._d.store.transaction() as tx:
            await tx.set_pin(payer_ref, pin_hash, self._d.clock.now())
