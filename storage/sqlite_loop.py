"""SQLite transactions whose statements run on the event loop's own thread.

SQLite is a library, not a server: a statement on a local file takes tens of microseconds,
far less than handing it to a worker thread and waiting for the answer (aiosqlite does
that for every statement, and SQLAlchemy's async layer adds a greenlet switch). A
settlement runs about ten statements, so those hand-offs, not SQLite, set its pace
(docs/PERFORMANCE.md). Here the store's transactions use one plain `sqlite3` connection
through SQLAlchemy's synchronous engine, called directly from the loop:

- one transaction at a time, in turn (an asyncio.Lock): SQLite admits one writer anyway;
- `BEGIN IMMEDIATE` never blocks the loop: the connection's busy timeout is zero, and while
  another process holds the write lock the loop sleeps and retries, for up to
  `BUSY_TIMEOUT_S` like the busy handler would;
- everything else runs inline, COMMIT included (its fsync is a fraction of a millisecond
  on a local disk with WAL); a long read blocks the loop for as long as it takes, which is
  why big reports and PostgreSQL-sized data belong on PostgreSQL.

Other users of the database (migrations, key rotation, the CLI) keep the AsyncEngine of
storage.db; SQLite's own locking keeps the two apart.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from sqlalchemy import create_engine, event, pool
from sqlalchemy.engine import URL, Connection, CursorResult, Dialect, Engine, make_url
from sqlalchemy.exc import OperationalError

from storage.db import on_sqlite_connect

log = logging.getLogger(__name__)

BUSY_TIMEOUT_S = 5.0
_RETRY_S = 0.002


class LoopConnection:
    """The part of AsyncConnection the SQL mixins use, over a synchronous Connection."""

    __slots__ = ("_sync",)

    def __init__(self, sync: Connection) -> None:
        self._sync = sync

    @property
    def dialect(self) -> Dialect:
        return self._sync.dialect

    async def execute(
        self, statement: Any, parameters: Any = None
    ) -> CursorResult[*tuple[Any, ...]]:
        return self._sync.execute(statement, parameters)

    async def scalar(self, statement: Any, parameters: Any = None) -> Any:
        return self._sync.scalar(statement, parameters)


class LoopSqlite:
    """One SQLite connection, one transaction at a time, statements on the loop."""

    def __init__(self, url: str | URL) -> None:
        parsed = make_url(url).set(drivername="sqlite")
        self.engine: Engine = create_engine(
            parsed,
            poolclass=pool.StaticPool,
            connect_args={"check_same_thread": False},
            hide_parameters=True,
        )
        event.listen(self.engine, "connect", _on_connect)
        self._conn: Connection | None = None
        self._lock: asyncio.Lock | None = None

    async def _connection(self) -> Connection:
        if self._conn is None or self._conn.closed:
            # Once per process: opening may wait for another writer (setting WAL takes a
            # lock), in a worker thread with the busy handler, not on the loop.
            self._conn = await asyncio.to_thread(self.engine.connect)
        return self._conn

    @asynccontextmanager
    async def begin(self) -> AsyncIterator[LoopConnection]:
        """A transaction: committed on normal exit, rolled back on an exception."""
        if self._lock is None:
            self._lock = asyncio.Lock()
        async with self._lock:
            conn = await self._connection()
            await self._begin_immediate(conn)
            try:
                yield LoopConnection(conn)
                conn.commit()
            except BaseException:
                self._roll_back(conn)
                raise

    def _roll_back(self, conn: Connection) -> None:
        try:
            conn.rollback()
        except Exception:
            # The connection is in no state to reuse (an I/O error, say): the next
            # transaction opens a new one, and SQLite rolls back what this one left.
            log.warning("SQLite rollback failed; reconnecting", exc_info=True)
            conn.invalidate()
            self._conn = None

    async def _begin_immediate(self, conn: Connection) -> None:
        deadline = time.monotonic() + BUSY_TIMEOUT_S
        while True:
            conn.begin()
            try:
                conn.exec_driver_sql("BEGIN IMMEDIATE")
                return
            except OperationalError as exc:
                conn.rollback()
                if not _is_busy(exc) or time.monotonic() >= deadline:
                    raise
            await asyncio.sleep(_RETRY_S)

    def dispose(self) -> None:
        if self._conn is not None:
            self._conn.close()
            self._conn = None
        self.engine.dispose()


def _is_busy(exc: OperationalError) -> bool:
    return getattr(exc.orig, "sqlite_errorname", "") in ("SQLITE_BUSY", "SQLITE_LOCKED")


def _on_connect(dbapi_connection: Any, record: Any) -> None:
    # What every connection gets (no driver-issued BEGIN, the pragmas; this runs in a worker
    # thread, where they may wait), then no busy waiting inside SQLite: on the loop, that
    # would block it; begin() retries instead.
    on_sqlite_connect(dbapi_connection, record)
    dbapi_connection.execute("PRAGMA busy_timeout=0")
