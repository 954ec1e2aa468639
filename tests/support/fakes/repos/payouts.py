"""In-memory payout accounts: the fake of storage.repos.payouts, method for method."""

from __future__ import annotations

from core.domain.errors import Conflict
from core.domain.model import Order, OrderState, PayeeId
from core.domain.payouts import PayoutAccount
from tests.support.fakes.state import MemoryRepo


class InMemoryPayouts(MemoryRepo):
    """Payout accounts inside one transaction, over the in-memory state."""

    async def account_of(
        self, payee_id: PayeeId, gateway: str, *, lock: bool = False
    ) -> PayoutAccount | None:
        return self.s.payouts.get((payee_id, gateway))  # transactions run one at a time

    async def account_by_id(
        self, gateway: str, account_id: str, *, lock: bool = False
    ) -> PayoutAccount | None:
        return next(
            (
                a
                for a in self.s.payouts.values()
                if a.gateway == gateway and a.account_id == account_id
            ),
            None,
        )

    async def save_account(self, account: PayoutAccount) -> None:
        taken = await self.account_by_id(account.gateway, account.account_id)
        if taken is not None and taken.payee_id != account.payee_id:
            raise Conflict("the account is another payee's")  # UNIQUE (gateway, account_id)
        self.s.payouts[(account.payee_id, account.gateway)] = account

    async def open_orders_paying(self, account_id: str) -> list[Order]:
        found = [
            o
            for o in self.s.orders.values()
            if o.card_account == account_id and o.state == OrderState.OPEN
        ]
        return sorted(found, key=lambda o: (o.created_at, o.id))
