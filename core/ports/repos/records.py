"""The repository of records (core.usecases.records): a user's own ledger entries, and a payee's
sums by month."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Protocol

from core.domain.ledger.entries import LedgerEntry, PayerSecret
from core.domain.ledger.scope import LedgerGroup, LedgerScope
from core.domain.model import (
    Order,
    OrderId,
)


class RecordsRepo(Protocol):
    """Records inside one transaction: storage.repos.records and its fake
    (tests.support.fakes.repos.records) implement it method for method, in this order."""

    async def ledger_records(
        self, scope: LedgerScope, limit: int | None, offset: int, *, oldest_first: bool = False
    ) -> list[tuple[LedgerEntry, PayerSecret | None]]:
        """The scope's entries with their opened payer data, newest first (or oldest first).

        A scope with neither a payer nor a payee holds nothing; `limit` None reads them all.
        """
        ...

    async def count_ledger_records(self, scope: LedgerScope) -> int: ...

    async def ledger_groups(self, scope: LedgerScope) -> list[LedgerGroup]:
        """The scope's entries summed by order, currency, kind and UTC month."""
        ...

    async def count_ledger_payers(self, scope: LedgerScope) -> int:
        """How many distinct payers the scope's money-in entries
        (core.domain.ledger.entries.MONEY_IN) name."""
        ...

    async def orders_by_id(self, order_ids: Sequence[OrderId]) -> list[Order]: ...
