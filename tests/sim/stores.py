"""The databases a run can use (in memory, SQLite, PostgreSQL), and reading them whole.

A SimDb is the database that survives Chipin's restarts: `reopen` is a new process's
connection pool over the same data. Snapshots and ledger rows are read straight from
it, around the engine, for the invariant checks.
"""

from __future__ import annotations

import copy
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

import sqlalchemy as sa

from core.domain.ledger.entries import SignedHead
from core.domain.ledger.merkle import leaf_hash
from core.domain.model import Order, Payment, SubOrder
from core.ports.store import Store
from storage.db import make_engine
from storage.migrate import migrate
from storage.repos.ledger import head_from, read_ledger
from storage.rows import order_from, payment_from, sub_order_from
from storage.store import SqlStore
from storage.tables import ledger_entries, ledger_heads, orders, payments, sub_orders
from tests.support.backends import PgServer, copy_sqlite, find_pg_server, make_sqlite_template
from tests.support.fakes.state import MemoryState
from tests.support.fakes.store import InMemoryStore, InMemoryTx
from tests.support.sealing import sealer_for_tests

STORES = ("memory", "sqlite", "postgres")
LedgerRows = list[dict[str, Any]]


@dataclass(frozen=True, slots=True)
class Snapshot:
    """Everything the money path stored, as values."""

    orders: dict[str, Order]
    subs: dict[str, SubOrder]
    payments: dict[str, Payment]  # by payment_ref (one gateway in a run)


class SimDb(Protocol):
    label: str

    @property
    def store(self) -> Store: ...

    async def reopen(self) -> Store: ...
    async def snapshot(self) -> Snapshot: ...
    async def ledger_rows(self, start: int) -> LedgerRows: ...
    async def heads(self) -> list[SignedHead]: ...
    async def whole_ledger(self) -> tuple[LedgerRows, int, list[SignedHead]]: ...
    async def close(self) -> None: ...


class SimMemoryStore(InMemoryStore):
    """InMemoryStore with a cheap rollback snapshot: its records are immutable values."""

    @asynccontextmanager
    async def transaction(self) -> AsyncIterator[InMemoryTx]:
        async with self._lock:
            saved = _shallow(self.state)
            try:
                tx = InMemoryTx(self.state)
                yield tx
                tx.ledger.flush_ledger()
            except BaseException:
                self.state = saved
                raise


def _shallow(s: MemoryState) -> MemoryState:
    copied = copy.copy(s)
    for name in ("payees", "keys", "orders", "subs", "payments", "payers"):
        setattr(copied, name, dict(getattr(s, name)))
    copied.events = set(s.events)
    copied.posts, copied.ledger, copied.heads = list(s.posts), list(s.ledger), list(s.heads)
    return copied


class MemoryDb:
    label = "memory"

    def __init__(self) -> None:
        self._store = SimMemoryStore()

    @property
    def store(self) -> Store:
        return self._store

    async def reopen(self) -> Store:
        return self._store

    async def snapshot(self) -> Snapshot:
        s = self._store.state
        by_ref = {p.payment_ref: p for p in s.payments.values()}
        return Snapshot(dict(s.orders), dict(s.subs), by_ref)

    async def ledger_rows(self, start: int) -> LedgerRows:
        rows = []
        for entry, _ in self._store.state.ledger[start:]:
            row: dict[str, Any] = {
                "idx": entry.index,
                "kind": entry.kind.value,
                "at": entry.at,
                "order_id": entry.order_id,
                "payee_id": entry.payee_id,
                "sub_order_id": entry.sub_order_id,
                "payment_id": entry.payment_id,
                "amount_minor": entry.amount_minor,
                "currency": entry.currency,
                "payer_commitment": entry.payer_commitment,
                "note": entry.note,
                "method": entry.method,
                "settled": entry.settled,
                "leaf_hash": leaf_hash(entry.leaf()).hex(),
            }
            rows.append(row)
        return rows

    async def heads(self) -> list[SignedHead]:
        return list(self._store.state.heads)

    async def whole_ledger(self) -> tuple[LedgerRows, int, list[SignedHead]]:
        rows = await self.ledger_rows(0)
        return rows, len(self._store.state.ledger), await self.heads()

    async def close(self) -> None:
        return None


class SqlDb:
    """A migrated SQLite file or PostgreSQL database; a restart is a new connection pool."""

    def __init__(self, url: str, label: str) -> None:
        self.label = label
        self._url = url
        self._sealer = sealer_for_tests()
        self._engine = make_engine(url)
        self._store = SqlStore(self._engine, self._sealer)

    @property
    def store(self) -> Store:
        return self._store

    async def reopen(self) -> Store:
        await self._store.dispose()
        self._engine = make_engine(self._url)
        self._store = SqlStore(self._engine, self._sealer)
        return self._store

    async def snapshot(self) -> Snapshot:
        async with self._engine.connect() as conn:
            found = (await conn.execute(sa.select(orders))).mappings()
            by_id: dict[str, Order] = {
                o.id: o for o in (order_from(r, self._sealer) for r in found)
            }
            rows = (await conn.execute(sa.select(sub_orders))).mappings()
            subs: dict[str, SubOrder] = {
                s.id: s for s in (sub_order_from(r, self._sealer) for r in rows)
            }
            paid = (await conn.execute(sa.select(payments))).mappings()
            by_ref = {p.payment_ref: p for p in map(payment_from, paid)}
        return Snapshot(by_id, subs, by_ref)

    async def ledger_rows(self, start: int) -> LedgerRows:
        stmt = sa.select(ledger_entries).where(ledger_entries.c.idx >= start)
        async with self._engine.connect() as conn:
            result = await conn.execute(stmt.order_by(ledger_entries.c.idx))
            return [dict(r) for r in result.mappings()]

    async def heads(self) -> list[SignedHead]:
        async with self._engine.connect() as conn:
            result = await conn.execute(sa.select(ledger_heads).order_by(ledger_heads.c.id))
            return [head_from(r) for r in result.mappings()]

    async def whole_ledger(self) -> tuple[LedgerRows, int, list[SignedHead]]:
        return await read_ledger(self._engine)

    async def close(self) -> None:
        await self._store.dispose()


class Databases:
    """Fresh migrated databases for a series of runs: one template, a copy per run.

    Blocking (migrations run their own event loop): use it outside asyncio.run.
    """

    def __init__(self, kind: str, folder: Path) -> None:
        if kind not in STORES:
            raise ValueError(f"unknown store {kind!r}; use one of {', '.join(STORES)}")
        self.kind = kind
        self._folder = folder
        self._template: Path | str | None = None
        self._server: PgServer | None = None
        self._made: list[str] = []

    def fresh_url(self) -> str | None:
        """None for memory; else the URL of a new database at the newest schema."""
        if self.kind == "memory":
            return None
        if self.kind == "sqlite":
            if not isinstance(self._template, Path):
                self._template = make_sqlite_template(self._folder)
            run = self._folder / f"run{len(self._made)}"
            run.mkdir()
            self._made.append(str(run))
            return copy_sqlite(self._template, run)
        return self._pg_url()

    def _pg_url(self) -> str:
        if self._server is None:
            server, reason = find_pg_server()
            if server is None:
                raise RuntimeError(reason)
            self._server = server
            self._template = server.create()
            migrate(server.url(self._template))
        name = self._server.create(template=str(self._template))
        self._made.append(name)
        return self._server.url(name)

    def close(self) -> None:
        if self._server is not None:
            for name in [*self._made, str(self._template)]:
                self._server.drop(name)


def open_db(kind: str, url: str | None) -> SimDb:
    if url is None:
        return MemoryDb()
    return SqlDb(url, kind)
