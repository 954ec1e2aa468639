"""In-memory payout accounts: the fake of storage.repos.payouts, method for method."""

from __future__ import annotations

from core.domain.model import Order, OrderState, PayeeId
from core.domain.payouts import PayoutAccount
from tests.support.fakes.state import MemoryRepo


class InMemoryPayouts(MemoryRepo):
    """Payout accounts inside one transaction, over the in-memory state."""

    async def account_of(self, payee_id: PayeeId, gateway: str) -> PayoutAccount | None:
        return self.s.payouts.get((payee_id, gateway))

    async def account_by_id(self, gateway: str, account_id: str) -> PayoutAccount | None:
        return next(
            (
                a
                for a in self.s.payouts.values()
                if a.gateway == gateway and a.account_id == account_id
            ),
            None,
        )

    async def save_account(self, account: PayoutAccount) -> None:
        self.s.payouts[(account.payee_id, account.gateway)] = account

    async def open_orders_paying(self, account_id: str) -> list[Order]:
        found = [
            o
            for o in self.s.orders.values()
            if o.card_account == account_id and o.state == OrderState.OPEN
        ]
        return sorted(found, key=lambda o: (o.created_at, o.id))
