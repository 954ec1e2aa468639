"""The repository of payees' payout accounts (core.domain.payouts)."""

from __future__ import annotations

from typing import Protocol

from core.domain.model import Order, PayeeId
from core.domain.payouts import PayoutAccount


class PayoutsRepo(Protocol):
    """Payout accounts inside one transaction: storage.repos.payouts and its fake
    (tests.support.fakes.repos.payouts) implement it method for method, in this order."""

    async def account_of(
        self, payee_id: PayeeId, gateway: str, *, lock: bool = False
    ) -> PayoutAccount | None:
        """The payee's account at this gateway, in whatever state (disconnected too);
        `lock`: its row stays locked until the transaction ends (a write follows)."""
        ...

    async def account_by_id(
        self, gateway: str, account_id: str, *, lock: bool = False
    ) -> PayoutAccount | None: ...

    async def save_account(self, account: PayoutAccount) -> None:
        """Insert, or replace the payee's row for this gateway (one upsert: two first
        saves at once end with one row)."""
        ...

    async def open_orders_paying(self, account_id: str) -> list[Order]:
        """The open orders bound to this account (Order.card_account), oldest first."""
        ...
