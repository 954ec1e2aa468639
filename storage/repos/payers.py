"""SQL for payers' payment passwords (their counted tries: storage.repos.tries).

Rows are keyed by the payer's blind index (storage.rows); the payer's id is never read
back from a row: every method is given it, and returns it in its PayerAuth.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql, sqlite

from core.domain.model import PayerAuth
from core.ports.store import Sealer
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


def auth_insert(sealer: Sealer, dialect_name: str, values: dict[str, Any]) -> Any:
    """INSERT of a new row for values["payer_ref"] (clear): its index and sealed copy."""
    payer_ref = values["payer_ref"]
    sealed = {
        **values,
        "payer_ref": sealer.index(payer_ref),
        "payer_sealed": sealer.seal(payer_ref),
    }
    dialect: Any = postgresql if dialect_name == "postgresql" else sqlite
    return dialect.insert(payer_auth).values(sealed)


class PayersSql(TxBase):
    """Payment passwords inside one transaction."""

    async def _one(self, stmt: Any, payer_ref: str) -> PayerAuth | None:
        row = (await self._conn.execute(stmt)).mappings().first()
        return _auth(row, payer_ref) if row is not None else None

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
        stmt = auth_insert(self._sealer, self._dialect, values).on_conflict_do_update(
            index_elements=[_T.payer_ref],
            set_={"pin_hash": pin_hash, "failures": 0, "updated_at": now},
        )
        await self._conn.execute(stmt)
