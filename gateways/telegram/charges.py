"""The Telegram gateway's own books: who paid each charge, so Stars can be refunded later.

refundStarPayment needs the paying user's id, and Telegram offers no way to look up a
charge, so the gateway writes it down when the payment arrives (before the engine hears
of it). One table, `telegram_charges`, in its own database (a SQLite file by default, or
the main PostgreSQL database), created by `start()`.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError, IntegrityError
from sqlalchemy.ext.asyncio import AsyncEngine, create_async_engine

from gateways.books import with_tables

_DRIVERS = ("sqlite+aiosqlite", "postgresql+asyncpg")

metadata = sa.MetaData()

charges = sa.Table(
    "telegram_charges",
    metadata,
    sa.Column("charge_id", sa.String(255), primary_key=True),  # telegram_payment_charge_id
    sa.Column("checkout_ref", sa.String(128), nullable=False, index=True),  # the payload
    sa.Column("user_id", sa.BigInteger, nullable=False),
    sa.Column("amount_minor", sa.BigInteger, nullable=False),
    sa.Column("currency", sa.String(16), nullable=False),
    sa.Column("recorded_at", sa.String(32), nullable=False),  # ISO 8601, UTC
)


@dataclass(frozen=True, slots=True)
class Charge:
    charge_id: str
    checkout_ref: str
    user_id: int
    amount_minor: int
    currency: str


def check_db_url(db_url: str) -> None:
    try:
        url = make_url(db_url)
    except ArgumentError as exc:
        raise ValueError("the telegram gateway's database URL is not a database URL") from exc
    if url.drivername not in _DRIVERS:
        raise ValueError(f"the telegram gateway's database must use one of {', '.join(_DRIVERS)}")


class ChargeBook:
    def __init__(self, db_url: str) -> None:
        check_db_url(db_url)
        self._db_url = db_url
        self._engine: AsyncEngine | None = None

    async def start(self) -> None:
        if self._engine is not None:
            return
        engine = create_async_engine(self._db_url, hide_parameters=True, pool_pre_ping=True)
        if self._db_url.startswith("sqlite"):
            sa.event.listen(engine.sync_engine, "connect", _sqlite_connect)
        self._engine = await with_tables(engine, metadata)

    async def stop(self) -> None:
        engine, self._engine = self._engine, None
        if engine is not None:
            await engine.dispose()

    async def record(self, charge: Charge) -> None:
        """Write the charge down; a charge written before (a repeated update) is kept as it is."""
        row = {
            "charge_id": charge.charge_id,
            "checkout_ref": charge.checkout_ref,
            "user_id": charge.user_id,
            "amount_minor": charge.amount_minor,
            "currency": charge.currency,
            "recorded_at": datetime.now(UTC).isoformat(timespec="seconds"),
        }
        try:
            async with self._started().begin() as conn:
                await conn.execute(charges.insert().values(**row))
        except IntegrityError:
            return

    async def find(self, charge_id: str) -> Charge | None:
        return await self._one(charges.c.charge_id == charge_id)

    async def of_checkout(self, checkout_ref: str) -> Charge | None:
        """The (first) charge paid into this checkout, if any."""
        return await self._one(charges.c.checkout_ref == checkout_ref)

    async def _one(self, where: sa.ColumnElement[bool]) -> Charge | None:
        stmt = sa.select(charges).where(where).order_by(charges.c.charge_id).limit(1)
        async with self._started().connect() as conn:
            row = (await conn.execute(stmt)).mappings().first()
        if row is None:
            return None
        return Charge(
            charge_id=row["charge_id"],
            checkout_ref=row["checkout_ref"],
            user_id=int(row["user_id"]),
            amount_minor=int(row["amount_minor"]),
            currency=row["currency"],
        )

    def _started(self) -> AsyncEngine:
        if self._engine is None:
            raise RuntimeError("the telegram gateway is not started")
        return self._engine


def _sqlite_connect(dbapi_connection: Any, _record: Any) -> None:
    cursor = dbapi_connection.cursor()
    for pragma in ("journal_mode=WAL", "synchronous=FULL", "busy_timeout=5000"):
        cursor.execute(f"PRAGMA {pragma}")
    cursor.close()
