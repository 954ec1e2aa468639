"""The repository of loose checkouts (reconciliation's to-do list) and voids reported early."""

from __future__ import annotations

from datetime import datetime
from typing import Protocol

from core.domain.model import (
    CheckoutRef,
)


class CheckoutsRepo(Protocol):
    """Checkouts inside one transaction: storage.repos.checkouts and its fake
    (tests.support.fakes.repos.checkouts) implement it method for method, in this order."""

    # checkouts that may take money while no reservation holds them (core.domain.model.CheckoutRef)
    async def add_loose_checkout(self, checkout: CheckoutRef, now: datetime) -> None:
        """Remember it until the gateway confirmed it closed (no-op if already remembered)."""
        ...

    async def loose_checkouts(self, limit: int) -> list[CheckoutRef]:
        """The loose checkouts, the longest unchecked first."""
        ...

    async def touch_loose_checkout(self, checkout: CheckoutRef, now: datetime) -> None:
        """It was tried now and is still loose: it goes to the back of the queue."""
        ...

    async def drop_loose_checkout(self, checkout: CheckoutRef) -> None:
        """The gateway confirmed it closed and it was read back: forget it."""
        ...

    # voids reported before the authorisation they void (gateways do not promise order)
    async def note_early_void(self, gateway: str, payment_ref: str, now: datetime) -> None: ...

    async def take_early_void(self, gateway: str, payment_ref: str) -> bool:
        """True (and forgets it) if a void of this payment came before the payment did."""
        ...
