"""For the sealing tests: a flow that writes personal data, and a database read as an intruder
with a copy of it would read it (plain SQL, every table)."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

import sqlalchemy as sa
from sqlalchemy.engine import Connection
from sqlalchemy.ext.asyncio import AsyncEngine

from core.domain.model import OrderId, PayeeId
from tests.support.harness import Rig, request

# The personal values the sealing tests write; none may appear in a raw row.
PAYER = "tg:4242"
PAYER_NAME = "Ann Example"
ALIAS = "@annex"
PAYEE_NAME = "Zelda Payee"
CLEAR = (PAYER, PAYER_NAME, ALIAS, PAYEE_NAME)
PIN = "204913"


@dataclass(frozen=True)
class Flow:
    payee: PayeeId
    order_id: OrderId
    token: str


async def full_flow(rig: Rig) -> Flow:
    """A payee with a name, an order with named parts, posted; Ann reserves, pays, sets a PIN."""
    payee = await rig.payee(PAYEE_NAME)
    view = await rig.engine.create_order(
        payee, request(total="20", payers=2), assignees=[ALIAS, "@bobby"]
    )
    order = view.order
    await rig.engine.attach_post(order.id, -100123, 11, 12, payee_name=PAYEE_NAME)
    res = await rig.engine.reserve(
        order.token, PAYER, payer_name=PAYER_NAME, aliases=[ALIAS], source=PAYER
    )
    assert res.sub.checkout_ref is not None
    await rig.engine.apply_event(rig.gateway.pay(res.sub.checkout_ref))
    await rig.engine.set_pin(PAYER, PIN)
    return Flow(payee, order.id, order.token)


def _table_names(conn: Connection) -> list[str]:
    return sorted(sa.inspect(conn).get_table_names())


async def raw_rows(engine: AsyncEngine) -> dict[str, list[tuple[object, ...]]]:
    """Every row of every table in the database (not just storage.tables), in a stable order."""
    tables: dict[str, list[tuple[object, ...]]] = {}
    async with engine.connect() as conn:
        for name in await conn.run_sync(_table_names):
            rows = await conn.exec_driver_sql(f'SELECT * FROM "{name}"')
            tables[name] = sorted((tuple(r) for r in rows), key=repr)
    return tables


async def raw_text(engine: AsyncEngine) -> list[str]:
    """Every text value stored anywhere in the database."""
    tables = await raw_rows(engine)
    return [v for rows in tables.values() for row in rows for v in row if isinstance(v, str)]


def leaked(values: Iterable[str], clear: Iterable[str] = CLEAR) -> list[str]:
    """The clear values found inside any stored text (case-insensitively)."""
    lowered = [v.lower() for v in values]
    return [c for c in clear if any(c.lower() in v for v in lowered)]


async def column(engine: AsyncEngine, table: str, name: str) -> list[object]:
    """One column of a table, in primary-key-independent sorted order."""
    async with engine.connect() as conn:
        rows = await conn.exec_driver_sql(f'SELECT "{name}" FROM "{table}"')
        return sorted((r[0] for r in rows), key=repr)
