"""SQL for payers' payment passwords: every counter change is one conditional statement.

Rows are keyed by the payer's blind index (storage.rows); the payer's id is never read
back from a row: every method is given it, and returns it in its PayerAuth.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql, sqlite

from core.errors import InvariantViolation
from core.model import PayerAuth
from core.verifying import lock_span_s
from storage.rows import TxBase
from storage.tables import payer_auth

_T = payer_auth.c


def _auth(row: Any, payer_ref: str) -> PayerAuth:
    return PayerAuth(
        payer_ref=payer_ref,
        pin_hash=row["pin_hash"],
        failures=row["failures"],
        lockouts=row["lockouts"],
        locked_until=row["locked_until"],  # UtcDateTime: aware or None
    )


class PayersSql(TxBase):
    """Payment passwords inside one transaction."""

    async def _one(self, stmt: Any, payer_ref: str) -> PayerAuth | None:
        row = (await self._conn.execute(stmt)).mappings().first()
        return _auth(row, payer_ref) if row is not None else None

    def _insert(self, values: dict[str, Any]) -> Any:
        """INSERT of a new row for values["payer_ref"] (clear): index and sealed copy."""
        payer_ref = values["payer_ref"]
        sealed = {
            **values,
            "payer_ref": self._sealer.index(payer_ref),
            "payer_sealed": self._sealer.seal(payer_ref),
        }
        dialect: Any = postgresql if self._dialect == "postgresql" else sqlite
        return dialect.insert(payer_auth).values(sealed)

    async def get_payer_auth(self, payer_ref: str) -> PayerAuth | None:
        key = self._sealer.index(payer_ref)
        return await self._one(sa.select(payer_auth).where(_T.payer_ref == key), payer_ref)

    async def set_pin(self, payer_ref: str, pin_hash: str, now: datetime) -> None:
        values = {
            "payer_ref": payer_ref,
            "pin_hash": pin_hash,
            "failures": 0,
            "lockouts": 0,
            "locked_until": None,
            "updated_at": now,
        }
        stmt = self._insert(values).on_conflict_do_update(
            index_elements=[_T.payer_ref],
            set_={"pin_hash": pin_hash, "failures": 0, "updated_at": now},
        )
        await self._conn.execute(stmt)

    async def take_pin_attempt(
        self, payer_ref: str, now: datetime, max_failures: int
    ) -> PayerAuth | None:
        stmt = (
            sa.update(payer_auth)
            .where(
                _T.payer_ref == self._sealer.index(payer_ref),
                _T.failures < max_failures,
                sa.or_(_T.locked_until.is_(None), _T.locked_until <= now),
            )
            .values(failures=_T.failures + 1, updated_at=now)
            .returning(*payer_auth.c)
        )
        return await self._one(stmt, payer_ref)

    async def pin_failed(
        self, payer_ref: str, now: datetime, max_failures: int, lock_s: int
    ) -> PayerAuth:
        current = await self.get_payer_auth(payer_ref)
        if current is None:
            raise InvariantViolation("a failed try for a payer with no password row")
        until = now + timedelta(seconds=lock_span_s(lock_s, current.lockouts))
        stmt = (
            sa.update(payer_auth)
            .where(_T.payer_ref == self._sealer.index(payer_ref), _T.failures >= max_failures)
            .values(failures=0, lockouts=_T.lockouts + 1, locked_until=until, updated_at=now)
            .returning(*payer_auth.c)
        )
        locked = await self._one(stmt, payer_ref)
        return locked or current

    async def pin_succeeded(self, payer_ref: str) -> None:
        await self._conn.execute(
            sa.update(payer_auth)
            .where(_T.payer_ref == self._sealer.index(payer_ref))
            .values(failures=0, lockouts=0)
        )

    async def take_attempt(
        self, subject: str, now: datetime, max_failures: int
    ) -> PayerAuth | None:
        fresh = {"payer_ref": subject, "failures": 0, "lockouts": 0, "updated_at": now}
        await self._conn.execute(self._insert(fresh).on_conflict_do_nothing())
        return await self.take_pin_attempt(subject, now, max_failures)

    async def give_back_attempt(self, subject: str) -> None:
        await self._conn.execute(
            sa.update(payer_auth)
            .where(_T.payer_ref == self._sealer.index(subject), _T.failures > 0)
            .values(failures=_T.failures - 1)
        )
