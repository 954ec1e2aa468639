"""In-memory records: the fake of storage.repos.records, method for method, over plain dicts."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC

from core.domain.ledger.entries import (
    MONEY_IN,
    EntryKind,
    LedgerEntry,
    PayerSecret,
)
from core.domain.ledger.scope import LedgerGroup, LedgerScope
from core.domain.model import (
    Order,
    OrderId,
)
from tests.support.fakes.state import MemoryRepo


class InMemoryRecords(MemoryRepo):
    """Records queries inside one transaction, over the in-memory state."""

    # records: the same answers as storage/repos/records.py, by scanning the list
    def _in_scope(self, scope: LedgerScope, e: LedgerEntry, secret: PayerSecret | None) -> bool:
        as_payer = scope.payer_ref is not None and secret is not None
        as_payer = as_payer and secret is not None and secret.payer_ref == scope.payer_ref
        mine = as_payer or (scope.payee_id is not None and e.payee_id == scope.payee_id)
        return (
            mine
            and (scope.since is None or e.at >= scope.since)
            and (scope.until is None or e.at < scope.until)
            and (scope.order_id is None or e.order_id == scope.order_id)
            and (not scope.kinds or e.kind in scope.kinds)
        )

    def _scoped(self, scope: LedgerScope) -> list[tuple[LedgerEntry, PayerSecret | None]]:
        return [(e, s) for e, s in self.s.ledger if self._in_scope(scope, e, s)]

    async def ledger_records(
        self, scope: LedgerScope, limit: int | None, offset: int, *, oldest_first: bool = False
    ) -> list[tuple[LedgerEntry, PayerSecret | None]]:
        found = sorted(
            self._scoped(scope), key=lambda r: (r[0].at, r[0].index), reverse=not oldest_first
        )
        return found[offset : None if limit is None else offset + limit]

    async def count_ledger_records(self, scope: LedgerScope) -> int:
        return len(self._scoped(scope))

    async def ledger_groups(self, scope: LedgerScope) -> list[LedgerGroup]:
        sums: dict[tuple[str | None, str, EntryKind, str, bool, bool], list[LedgerEntry]] = {}
        for e, _ in self._scoped(scope):
            month = e.at.astimezone(UTC).strftime("%Y-%m")
            key = (e.order_id, e.currency, e.kind, month, e.direct, e.to_payee_account)
            sums.setdefault(key, []).append(e)
        return [
            LedgerGroup(
                order_id=key[0],
                currency=key[1],
                kind=key[2],
                month=key[3],
                amount_minor=sum(e.amount_minor for e in found),
                entries=len(found),
                first_at=min(e.at for e in found),
                direct=key[4],
                to_payee_account=key[5],
                fee_minor=sum(e.fee_minor or 0 for e in found),
            )
            for key, found in sums.items()
        ]

    async def count_ledger_payers(self, scope: LedgerScope) -> int:
        scoped = self._scoped(scope)
        return len({s.payer_ref for e, s in scoped if s is not None and e.kind in MONEY_IN})

    async def orders_by_id(self, order_ids: Sequence[OrderId]) -> list[Order]:
        return [self.s.orders[i] for i in sorted(set(order_ids)) if i in self.s.orders]
