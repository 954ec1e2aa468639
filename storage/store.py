"""SqlStore: core.ports.store.Store over SQLAlchemy Core, one database transaction per unit of
work."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from contextlib import AbstractAsyncContextManager, asynccontextmanager

from sqlalchemy.engine import Engine
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncEngine

from core.domain.errors import Conflict
from core.ports.store import Sealer, Tx
from storage.repos.checkouts import CheckoutsSql
from storage.repos.codes import CodesSql
from storage.repos.holds import HoldsSql
from storage.repos.ledger import LedgerSql
from storage.repos.methods import MethodsSql
from storage.repos.orders import OrdersSql
from storage.repos.outbox import OutboxSql
from storage.repos.passkeys import PasskeysSql
from storage.repos.payees import PayeesSql
from storage.repos.payers import PayersSql
from storage.repos.payments import PaymentsSql
from storage.repos.payouts import PayoutsSql
from storage.repos.posts import PostsSql
from storage.repos.records import RecordsSql
from storage.repos.statements import StatementsSql
from storage.repos.sub_orders import SubOrdersSql
from storage.repos.tries import TriesSql
from storage.rows import Conn
from storage.sqlite_loop import LoopSqlite

log = logging.getLogger(__name__)

# SQLSTATE of a unique violation (PostgreSQL) and the sqlite3 error names of one.
_PG_UNIQUE_VIOLATION = "23505"
_SQLITE_UNIQUE = frozenset({"SQLITE_CONSTRAINT_UNIQUE", "SQLITE_CONSTRAINT_PRIMARYKEY"})


class SqlTx:
    """core.ports.store.Tx: one repository object per aggregate, all on one open connection and
    transaction (the lock order is core.ports.store.Tx's)."""

    def __init__(self, conn: Conn, sealer: Sealer) -> None:
        self.orders = OrdersSql(conn, sealer)
        self.sub_orders = SubOrdersSql(conn, sealer)
        self.payees = PayeesSql(conn, sealer)
        self.payments = PaymentsSql(conn, sealer)
        self.checkouts = CheckoutsSql(conn, sealer)
        self.payers = PayersSql(conn, sealer)
        self.tries = TriesSql(conn, sealer)
        self.posts = PostsSql(conn, sealer)
        self.ledger = LedgerSql(conn, sealer)
        self.records = RecordsSql(conn, sealer)
        self.passkeys = PasskeysSql(conn, sealer)
        self.codes = CodesSql(conn, sealer)
        self.holds = HoldsSql(conn, sealer)
        self.outbox = OutboxSql(conn, sealer)
        self.methods = MethodsSql(conn, sealer)
        self.statements = StatementsSql(conn, sealer)
        self.payouts = PayoutsSql(conn, sealer)


class SqlStore:
    """core.ports.store.Store on an AsyncEngine from storage.db.make_engine."""

    def __init__(self, engine: AsyncEngine, sealer: Sealer) -> None:
        self.engine = engine
        self.sealer = sealer
        # SQLite: the store's own connection, statements on the loop (storage.sqlite_loop).
        self._loop_sqlite = LoopSqlite(engine.url) if engine.dialect.name == "sqlite" else None

    @asynccontextmanager
    async def transaction(self) -> AsyncIterator[Tx]:
        """Commit on normal exit, roll back on an exception.

        A unique-constraint violation (a concurrent change won a race) comes out as
        core.domain.errors.Conflict after the rollback; other database errors, such as a lost
        connection, propagate unchanged as SQLAlchemy exceptions.
        """
        try:
            async with self._begin() as conn:
                tx = SqlTx(conn, self.sealer)
                yield tx
                await tx.ledger.flush_ledger()
        except IntegrityError as exc:
            if not is_unique_violation(exc):
                raise
            log.info("transaction rolled back on a unique constraint: %s", _constraint(exc))
            raise Conflict("a concurrent change won the race; re-read and retry") from exc

    @property
    def statement_engine(self) -> Engine:
        """The synchronous engine that runs the transactions' statements (for event hooks)."""
        if self._loop_sqlite is not None:
            return self._loop_sqlite.engine
        return self.engine.sync_engine

    def _begin(self) -> AbstractAsyncContextManager[Conn]:
        if self._loop_sqlite is not None:
            return self._loop_sqlite.begin()
        return self.engine.begin()

    async def dispose(self) -> None:
        """Close the pool's connections."""
        if self._loop_sqlite is not None:
            await self._loop_sqlite.dispose()
        await self.engine.dispose()


def is_unique_violation(exc: IntegrityError) -> bool:
    orig = exc.orig
    if getattr(orig, "sqlstate", None) == _PG_UNIQUE_VIOLATION:
        return True
    return getattr(orig, "sqlite_errorname", None) in _SQLITE_UNIQUE


def _constraint(exc: IntegrityError) -> str:
    """The constraint's name or SQLite's message; never the row's values."""
    orig = exc.orig
    # asyncpg's own exception (with the name) is the cause of SQLAlchemy's adapted one.
    name = getattr(getattr(orig, "__cause__", None), "constraint_name", None)
    if name:
        return str(name)
    return str(orig).split(":", 1)[0] if orig is not None else "unknown"
