"""The repository of payees and their API keys (stored as the keys' hashes)."""

from __future__ import annotations

from datetime import datetime
from typing import Protocol

from core.domain.model import (
    Payee,
    PayeeId,
)


class PayeesRepo(Protocol):
    """Payees inside one transaction: storage.repos.payees and its fake
    (tests.support.fakes.repos.payees) implement it method for method, in this order."""

    async def add_payee(self, payee: Payee) -> None: ...

    async def get_payee(self, payee_id: PayeeId) -> Payee | None: ...

    async def get_payee_by_name(self, name: str) -> Payee | None: ...

    async def add_api_key(self, key_hash: str, payee_id: PayeeId, now: datetime) -> None: ...

    async def payee_for_key(self, key_hash: str) -> PayeeId | None: ...
