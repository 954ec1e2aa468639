"""In-memory checkouts: the fake of storage.repos.checkouts, method for method, over plain dicts."""

from __future__ import annotations

from datetime import datetime

from core.domain.model import (
    CheckoutRef,
)
from tests.support.fakes.state import MemoryRepo


class InMemoryCheckouts(MemoryRepo):
    """Loose checkouts and early voids inside one transaction, over the in-memory state."""

    async def add_loose_checkout(self, checkout: CheckoutRef, now: datetime) -> None:
        self.s.loose.setdefault((checkout.gateway, checkout.ref), (checkout, now))

    async def loose_checkouts(self, limit: int) -> list[CheckoutRef]:
        by_age = sorted(self.s.loose.values(), key=lambda c: (c[1], c[0].ref))
        return [c for c, _ in by_age][:limit]

    async def touch_loose_checkout(self, checkout: CheckoutRef, now: datetime) -> None:
        key = (checkout.gateway, checkout.ref)
        if key in self.s.loose:
            self.s.loose[key] = (checkout, now)

    async def drop_loose_checkout(self, checkout: CheckoutRef) -> None:
        self.s.loose.pop((checkout.gateway, checkout.ref), None)

    async def note_early_void(self, gateway: str, payment_ref: str, now: datetime) -> None:
        self.s.early_voids.add((gateway, payment_ref))

    async def take_early_void(self, gateway: str, payment_ref: str) -> bool:
        if (gateway, payment_ref) not in self.s.early_voids:
            return False
        self.s.early_voids.discard((gateway, payment_ref))
        return True
