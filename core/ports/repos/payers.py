"""The repository of payers' payment passwords (their counted tries: core.ports.repos.tries)."""

from __future__ import annotations

from datetime import datetime
from typing import Protocol

from core.domain.model import (
    PayerAuth,
)


class PayersRepo(Protocol):
    """Payers inside one transaction: storage.repos.payers and its fake
    (tests.support.fakes.repos.payers) implement it method for method, in this order."""

    # payers' payment passwords (their counted tries: core.ports.repos.tries)
    async def get_payer_auth(self, payer_ref: str) -> PayerAuth | None: ...

    async def set_pin(self, payer_ref: str, pin_hash: str, now: datetime) -> None:
        """Store the hash (insert or replace) and clear the failed-try counter."""
        ...
