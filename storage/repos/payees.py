"""SQL for payees and their API keys (stored as the keys' hashes)."""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa

from core.domain.model import Payee, PayeeId
from storage.rows import (
    TxBase,
    payee_from,
    payee_values,
)
from storage.tables import api_keys, payees


class PayeesSql(TxBase):
    """Payees and their API keys inside one transaction."""

    async def add_payee(self, payee: Payee) -> None:
        await self._conn.execute(sa.insert(payees).values(payee_values(payee, self._sealer)))

    async def _one_payee(self, where: sa.ColumnElement[bool]) -> Payee | None:
        row = (await self._conn.execute(sa.select(payees).where(where))).mappings().first()
        return payee_from(row, self._sealer) if row is not None else None

    async def get_payee(self, payee_id: PayeeId) -> Payee | None:
        return await self._one_payee(payees.c.id == payee_id)

    async def get_payee_by_name(self, name: str) -> Payee | None:
        return await self._one_payee(payees.c.name == self._sealer.index(name))

    async def add_api_key(self, key_hash: str, payee_id: PayeeId, now: datetime) -> None:
        await self._conn.execute(
            sa.insert(api_keys).values(key_hash=key_hash, payee_id=payee_id, created_at=now)
        )

    async def payee_for_key(self, key_hash: str) -> PayeeId | None:
        found = await self._conn.scalar(
            sa.select(api_keys.c.payee_id).where(api_keys.c.key_hash == key_hash)
        )
        return PayeeId(found) if found is not None else None
