"""Everything `chipin ledger verify` reads, from one snapshot: the ledger and the books it
must agree with (orders, their parts, payments).

Read raw, with no key: a part's payer is its blind index (enough to tell two payers apart),
its names stay sealed. PostgreSQL reads from one REPEATABLE READ snapshot and SQLite's
BEGIN IMMEDIATE holds every writer off, so money moving meanwhile cannot look like a fault.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import RowMapping
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from core.domain.ledger.entries import SignedHead
from core.domain.model import Order, OrderId, Payment, SubOrder, SubOrderId, SubOrderState
from storage.repos.ledger import read_all
from storage.rows import order_from, payment_from
from storage.tables import orders, payments, sub_orders


@dataclass(frozen=True, slots=True)
class Books:
    rows: list[dict[str, Any]]  # the ledger's entries as stored
    size: int
    heads: list[SignedHead]
    orders: list[Order]
    sub_orders: list[SubOrder]
    payments: list[Payment]


async def read_books(db: AsyncEngine) -> Books:
    async with db.connect() as conn:
        if conn.dialect.name == "postgresql":
            await conn.execution_options(isolation_level="REPEATABLE READ")
        async with conn.begin():
            rows, size, heads = await read_all(conn)
            the_orders = [order_from(r, None) for r in await _all(conn, orders)]
            subs = [_sub_order(r) for r in await _all(conn, sub_orders)]
            pays = [payment_from(r) for r in await _all(conn, payments)]
    return Books(rows, size, heads, the_orders, subs, pays)


async def _all(conn: AsyncConnection, table: sa.Table) -> list[RowMapping]:
    found = await conn.execute(sa.select(table).order_by(table.c.id))
    return list(found.mappings())


def _sub_order(row: RowMapping) -> SubOrder:
    """What the checks need of a part: its amount, its state and who holds it (by index)."""
    sub_id, order_id, state = SubOrderId(row["id"]), OrderId(row["order_id"]), row["state"]
    return SubOrder(sub_id, order_id, row["idx"], row["amount_minor"], SubOrderState(state),
                    payer_ref=row["payer_ref"], hold_seq=row["hold_seq"])  # fmt: skip
