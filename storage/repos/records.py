"""SQL for records (core.usecases.records): a user's own ledger entries, and a payee's sums by
month.

A payer's entries are found by the keyed blind index of their id (the ledger keeps no
payer id in the clear), a payee's by payee id; both have an index with the entry time.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

import sqlalchemy as sa
from sqlalchemy.sql.elements import ColumnElement

from core.domain.ledger.entries import (
    MONEY_IN,
    PAYEE_ACCOUNT,
    EntryKind,
    LedgerEntry,
    PayerSecret,
)
from core.domain.ledger.scope import LedgerGroup, LedgerScope
from core.domain.model import Order, OrderId, Settled
from storage.repos.ledger import entry_from
from storage.rows import TxBase, aware, order_from
from storage.tables import ledger_entries, orders

_t = ledger_entries


class RecordsSql(TxBase):
    """Records queries inside one transaction."""

    def _scope(self, scope: LedgerScope) -> list[ColumnElement[bool]] | None:
        """The WHERE clauses of a scope; None when it names nobody (and so holds nothing)."""
        owners: list[ColumnElement[bool]] = []
        if scope.payer_ref is not None:
            owners.append(_t.c.payer_index == self._sealer.index(scope.payer_ref))
        if scope.payee_id is not None:
            owners.append(_t.c.payee_id == scope.payee_id)
        if not owners:
            return None
        where = [sa.or_(*owners)]
        if scope.since is not None:
            where.append(_t.c.at >= scope.since)
        if scope.until is not None:
            where.append(_t.c.at < scope.until)
        if scope.order_id is not None:
            where.append(_t.c.order_id == scope.order_id)
        if scope.kinds:
            where.append(_t.c.kind.in_(sorted(k.value for k in scope.kinds)))
        return where

    async def ledger_records(
        self, scope: LedgerScope, limit: int | None, offset: int, *, oldest_first: bool = False
    ) -> list[tuple[LedgerEntry, PayerSecret | None]]:
        where = self._scope(scope)
        if where is None:
            return []
        order = (_t.c.at, _t.c.idx) if oldest_first else (_t.c.at.desc(), _t.c.idx.desc())
        stmt = sa.select(_t).where(*where).order_by(*order).offset(offset)
        if limit is not None:
            stmt = stmt.limit(limit)
        rows = (await self._conn.execute(stmt)).mappings()
        return [(entry_from(r), self._opened(r["payer_sealed"])) for r in rows]

    def _opened(self, sealed: str | None) -> PayerSecret | None:
        if sealed is None:
            return None
        doc: dict[str, Any] = json.loads(self._sealer.open(sealed))
        return PayerSecret(doc["ref"], doc["salt"], doc.get("name"))

    async def count_ledger_records(self, scope: LedgerScope) -> int:
        where = self._scope(scope)
        if where is None:
            return 0
        stmt = sa.select(sa.func.count()).select_from(_t).where(*where)
        return int((await self._conn.execute(stmt)).scalar_one())

    def _month(self) -> ColumnElement[str]:
        """The entry's month, 'YYYY-MM' in UTC, as each database writes it."""
        if self._dialect == "postgresql":
            # a literal format (not a bound parameter), so GROUP BY repeats the same expression
            utc = sa.func.timezone(sa.literal_column("'UTC'"), _t.c.at)
            return sa.func.to_char(utc, sa.literal_column("'YYYY-MM'"), type_=sa.String)
        # SQLite keeps UTC text 'YYYY-MM-DD HH:MM:SS.ffffff' (storage.tables.UtcDateTime)
        return sa.func.substr(_t.c.at, 1, 7, type_=sa.String)

    async def ledger_groups(self, scope: LedgerScope) -> list[LedgerGroup]:
        where = self._scope(scope)
        if where is None:
            return []
        month = self._month()
        keys = (_t.c.order_id, _t.c.currency, _t.c.kind, _t.c.settled, _t.c.account, month)
        stmt = (
            sa.select(
                *keys[:5],
                month.label("month"),
                sa.func.sum(_t.c.amount_minor).label("amount"),
                sa.func.count().label("entries"),
                sa.func.min(_t.c.at).label("first_at"),
                sa.func.coalesce(sa.func.sum(_t.c.fee_minor), 0).label("fees"),
            )
            .where(*where)
            .group_by(*keys)
        )
        return [
            LedgerGroup(
                order_id=r["order_id"],
                currency=r["currency"],
                kind=EntryKind(r["kind"]),
                month=str(r["month"]),
                amount_minor=int(r["amount"]),
                entries=int(r["entries"]),
                first_at=aware(r["first_at"]),
                direct=r["settled"] not in (None, Settled.GATEWAY.value),
                to_payee_account=r["account"] == PAYEE_ACCOUNT,
                fee_minor=int(r["fees"]),
            )
            for r in (await self._conn.execute(stmt)).mappings()
        ]

    async def count_ledger_payers(self, scope: LedgerScope) -> int:
        where = self._scope(scope)
        if where is None:
            return 0
        stmt = sa.select(sa.func.count(sa.distinct(_t.c.payer_index))).where(
            *where,
            _t.c.kind.in_(sorted(k.value for k in MONEY_IN)),
            _t.c.payer_index.is_not(None),
        )
        return int((await self._conn.execute(stmt)).scalar_one())

    async def orders_by_id(self, order_ids: Sequence[OrderId]) -> list[Order]:
        if not order_ids:
            return []
        stmt = sa.select(orders).where(orders.c.id.in_(sorted(set(order_ids))))
        return [order_from(r, self._sealer) for r in (await self._conn.execute(stmt)).mappings()]
