"""Regression (fixed): order passwords have no lockout (DESIGN: "lockout after repeated failures").

paying._verified_order runs scrypt and answers WrongPassword on every guess, forever;
core.domain.errors.LockedOut (mapped to 429 in web/errors.py) is never raised anywhere.
"""

from __future__ import annotations

import pytest

from core.domain.errors import LockedOut, WrongPassword
from tests.support.harness import Rig, request


async def test_repeated_wrong_order_passwords_lock_the_guesser_out(rig: Rig) -> None:
    payee = await rig.payee()
    view = await rig.engine.create_order(payee, request(password="1234"))
    token = view.order.token
    outcomes: list[str] = []
    for i in range(50):
        try:
            await rig.engine.reserve(token, "mallory", password=f"{i:04d}x", source="mallory")
        except WrongPassword:
            outcomes.append("wrong")
        except LockedOut:
            outcomes.append("locked")
            break
    assert "locked" in outcomes, f"50 wrong guesses, never locked out: {set(outcomes)}"
    with pytest.raises(LockedOut):
        await rig.engine.reserve(token, "mallory", password="1234", source="mallory")
