"""SQL for payees' payout accounts (core.domain.payouts)."""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql, sqlite

from core.domain.model import Order, OrderState, PayeeId
from core.domain.payouts import PayoutAccount, PayoutState
from storage.rows import TxBase, aware, order_from
from storage.tables import orders, payout_accounts


class PayoutsSql(TxBase):
    """Payout accounts inside one transaction."""

    async def account_of(
        self, payee_id: PayeeId, gateway: str, *, lock: bool = False
    ) -> PayoutAccount | None:
        stmt = sa.select(payout_accounts).where(
            payout_accounts.c.payee_id == payee_id, payout_accounts.c.gateway == gateway
        )
        return await self._one(stmt, lock)

    async def account_by_id(
        self, gateway: str, account_id: str, *, lock: bool = False
    ) -> PayoutAccount | None:
        stmt = sa.select(payout_accounts).where(
            payout_accounts.c.gateway == gateway, payout_accounts.c.account_id == account_id
        )
        return await self._one(stmt, lock)

    async def _one(self, stmt: sa.Select[Any], lock: bool) -> PayoutAccount | None:
        if lock:  # PostgreSQL: the row's lock until commit; SQLite has one writer at a time
            stmt = stmt.with_for_update()
        row = (await self._conn.execute(stmt)).mappings().first()
        return _account(row) if row is not None else None

    async def save_account(self, account: PayoutAccount) -> None:
        a = account
        values = {
            "account_id": a.account_id,
            "state": a.state.value,
            "reason": a.reason[:64],
            "due": "\n".join(a.due),
            "deadline": a.deadline,
            "payouts_enabled": a.payouts_enabled,
            "connected_at": a.connected_at,
            "updated_at": a.updated_at,
        }
        t = payout_accounts
        dialect: Any = postgresql if self._dialect == "postgresql" else sqlite
        insert = dialect.insert(t).values(payee_id=a.payee_id, gateway=a.gateway, **values)
        # one statement: two first connects at once both end with the one row
        await self._conn.execute(
            insert.on_conflict_do_update(index_elements=[t.c.payee_id, t.c.gateway], set_=values)
        )

    async def open_orders_paying(self, account_id: str) -> list[Order]:
        stmt = (
            sa.select(orders)
            .where(orders.c.card_account == account_id, orders.c.state == OrderState.OPEN.value)
            .order_by(orders.c.created_at, orders.c.id)
        )
        return [order_from(r, self._sealer) for r in (await self._conn.execute(stmt)).mappings()]


def _account(r: sa.RowMapping) -> PayoutAccount:
    return PayoutAccount(
        payee_id=PayeeId(r["payee_id"]),
        gateway=r["gateway"],
        account_id=r["account_id"],
        state=PayoutState(r["state"]),
        reason=r["reason"],
        due=tuple(line for line in r["due"].split("\n") if line),
        deadline=aware(r["deadline"]) if r["deadline"] is not None else None,
        payouts_enabled=bool(r["payouts_enabled"]),
        connected_at=aware(r["connected_at"]),
        updated_at=aware(r["updated_at"]),
    )
