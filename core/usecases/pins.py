"""Payers' payment passwords: 6 digits, checked off the event loop, with lock-outs that last."""

from __future__ import annotations

import asyncio
import itertools

from core.domain.errors import InvalidInput, NotAllowed, WrongPassword
from core.domain.text import check_text
from core.domain.tries import Failed, TryRules, Wrong
from core.usecases.deps import Deps, UseCases
from core.usecases.tries import Tries

PIN_LENGTH = 6
MAX_FAILURES = 5
LOCK_S = 15 * 60  # the first lock-out; each next one doubles, up to a day (core.domain.tries)


def check_pin(pin: str) -> str:
    """Six ASCII digits, and not one of the guesses everyone tries first."""
    if len(pin) != PIN_LENGTH or not (pin.isascii() and pin.isdigit()):
        raise InvalidInput("pin", "the payment password is {digits} digits", digits=PIN_LENGTH)
    steps = {int(b) - int(a) for a, b in itertools.pairwise(pin)}
    if len(set(pin)) == 1 or steps in ({1}, {-1}):
        raise InvalidInput("pin", "this password is too easy to guess; choose another")
    return pin


def pin_rules(payer_ref: str) -> TryRules:
    """How a payer's payment password tries count (passkey checks count the same way)."""
    return TryRules(payer_ref, MAX_FAILURES, LOCK_S, reset_on_right=True)


class Pins(UseCases):
    """Payers' payment passwords."""

    def __init__(self, deps: Deps, tries: Tries) -> None:
        super().__init__(deps)
        self._tries = tries

    async def has_pin(self, payer_ref: str) -> bool:
        async with self._d.store.transaction() as tx:
            auth = await tx.payers.get_payer_auth(payer_ref)
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
        check_text(pin, "pin")
        async with d.store.transaction() as tx:
            auth = await tx.payers.get_payer_auth(payer_ref)
        if auth is None or auth.pin_hash is None:
            raise NotAllowed("no payment password is set yet")

        async def check() -> bool | Wrong:
            async with d.store.transaction() as tx:  # the hash as of the try: a change won
                now = await tx.payers.get_payer_auth(payer_ref)
            stored = now.pin_hash if now is not None else None
            if stored is None:
                raise NotAllowed("no payment password is set yet")
            ok = await d.checks.run(d.hasher.verify, pin, stored)
            return ok or Wrong(WrongPassword("wrong payment password"))

        answer = await self._tries.guarded_try(pin_rules(payer_ref), check)
        if isinstance(answer, Failed):
            raise answer.locked or _wrong_pin(answer.tries_left)

    async def _store_pin(self, payer_ref: str, pin: str) -> None:
        pin_hash = await asyncio.to_thread(self._d.hasher.hash, pin)
        async with self._d.store.transaction() as tx:
            await tx.payers.set_pin(payer_ref, pin_hash, self._d.clock.now())


def _wrong_pin(left: int) -> WrongPassword:
    return WrongPassword(f"wrong payment password; {left} tries left", tries_left=left)
