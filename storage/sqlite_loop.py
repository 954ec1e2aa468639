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
- transactions are committed in groups: each is a SAVEPOINT inside the group's
  transaction, and one COMMIT, in a thread of its own (its fsync, and now and then a WAL
  checkpoint, can take milliseconds under disk contention), makes durable every
  transaction that ran meanwhile (see LoopSqlite);
- every other statement runs inline: a long read blocks the loop for as long as it takes,
  which is why big reports and PostgreSQL-sized data belong on PostgreSQL.

Other users of the database (migrations, key rotation, the CLI) keep the AsyncEngine of
storage.db; SQLite's own locking keeps the two apart.
"""

from __future__ import annotations

import asyncio
import functools
import logging
import sqlite3
import time
from collections.abc import AsyncIterator
from concurrent.futures import ThreadPoolExecutor
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
    """The part of AsyncConnection the SQL repositories use, over a synchronous Connection."""

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
    """One SQLite connection, statements on the loop, transactions committed in groups.

    A transaction is a SAVEPOINT inside the group's BEGIN IMMEDIATE: its statements run
    one transaction at a time (an asyncio.Lock), its exception rolls back to the savepoint
    and nothing else, and its caller resumes only once the group's COMMIT is on disk (one
    fsync for every transaction that ran before the committer's turn came, typically those
    that queued while the previous group was being committed). A failed COMMIT fails every
    transaction of the group: none of them had returned, so none was acknowledged.
    """

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
        self._group: asyncio.Future[None] | None = None  # the open group's commit
        self._committer: asyncio.Task[None] | None = None
        self._committing = ThreadPoolExecutor(1, thread_name_prefix="sqlite-commit")

    async def _connection(self) -> Connection:
        if self._conn is None or self._conn.closed:
            # Once per process: opening may wait for another writer (setting WAL takes a
            # lock), in a worker thread with the busy handler, not on the loop.
            self._conn = await asyncio.to_thread(self.engine.connect)
        return self._conn

    def _locked(self) -> asyncio.Lock:
        if self._lock is None:
            self._lock = asyncio.Lock()
        return self._lock

    @asynccontextmanager
    async def begin(self) -> AsyncIterator[LoopConnection]:
        """A transaction: committed on normal exit, rolled back on an exception.

        Like SQLite's busy timeout, it waits at most BUSY_TIMEOUT_S for the write lock, its
        turn after the transactions ahead of it included: while another process holds the
        database, every waiting request fails after its own 5 s ('database is locked'),
        instead of queueing behind one another for 5 s each.
        """
        deadline = time.monotonic() + BUSY_TIMEOUT_S
        try:
            async with asyncio.timeout(BUSY_TIMEOUT_S):
                await self._locked().acquire()
        except TimeoutError:
            raise _locked_out() from None
        try:
            conn = await self._connection()
            group = await self._open_group(conn, deadline)
            _raw(conn).execute("SAVEPOINT unit")
            try:
                yield LoopConnection(conn)
                _raw(conn).execute("RELEASE unit")
            except BaseException:
                self._undo(conn, group)
                raise
        finally:
            self._locked().release()
        await asyncio.shield(group)  # durable, or the group's commit failed

    async def _open_group(self, conn: Connection, deadline: float) -> asyncio.Future[None]:
        if self._group is None:
            await self._begin_immediate(conn, deadline)
            loop = asyncio.get_running_loop()
            self._group = group = loop.create_future()
            self._committer = loop.create_task(self._commit(group))
        return self._group

    async def _commit(self, group: asyncio.Future[None]) -> None:
        await asyncio.sleep(0)  # the transactions already waiting their turn join the group
        lock = self._locked()
        await lock.acquire()
        if group.done():  # failed already (a savepoint that could not roll back)
            lock.release()
            return
        if self._group is group:
            self._group = None
        conn = self._conn
        if conn is None:
            lock.release()
            group.set_exception(OperationalError("COMMIT", None, Exception("connection lost")))
            return
        # The fsync (and, now and then, a WAL checkpoint) off the loop: under disk
        # contention it can take far longer than the statements. The lock is let go, and
        # the group told, only when the COMMIT is over, even if this task is cancelled.
        loop = asyncio.get_running_loop()
        committing = loop.run_in_executor(self._committing, conn.commit)
        committing.add_done_callback(functools.partial(self._committed, conn, group))
        await asyncio.wait([committing])

    def _committed(
        self, conn: Connection, group: asyncio.Future[None], committing: asyncio.Future[None]
    ) -> None:
        failure = committing.exception()
        try:
            if failure is not None:
                self._roll_back(conn)
        finally:
            self._locked().release()
            if not group.done():
                if failure is None:
                    group.set_result(None)
                else:
                    group.set_exception(failure)

    def _undo(self, conn: Connection, group: asyncio.Future[None]) -> None:
        """Roll back one transaction to its savepoint; if even that fails, the group."""
        try:
            _raw(conn).execute("ROLLBACK TO unit")
            _raw(conn).execute("RELEASE unit")
        except Exception as exc:
            try:
                self._roll_back(conn)
            finally:
                if self._group is group:
                    self._group = None
                if not group.done():
                    group.set_exception(exc)

    def _roll_back(self, conn: Connection) -> None:
        try:
            conn.rollback()
            raw = _raw(conn)
            if raw is not None and raw.in_transaction:  # SQLAlchemy had let go already
                raw.rollback()
        except Exception:
            # The connection is in no state to reuse (an I/O error, say): the next
            # transaction opens a new one, and SQLite rolls back what this one left.
            log.warning("SQLite rollback failed; reconnecting", exc_info=True)
            conn.invalidate()
            self._conn = None

    async def _begin_immediate(self, conn: Connection, deadline: float) -> None:
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

    async def dispose(self) -> None:
        """Close the connection, once every group still open is committed."""
        while self._committer is not None and not self._committer.done():
            await asyncio.shield(self._committer)  # a transaction behind it may open another
        self._committer = None
        if self._conn is not None:
            self._conn.close()
            self._conn = None
        self.engine.dispose()
        self._committing.shutdown(wait=True)


def _raw(conn: Connection) -> Any:
    """The sqlite3 connection under `conn`, for the savepoints of group commit: SQLAlchemy
    does not track them (it sees one transaction per group), and they skip its per-statement
    cost."""
    return conn.connection.dbapi_connection


def _locked_out() -> OperationalError:
    """What SQLite's busy handler would raise, for a transaction that waited out its turn."""
    return OperationalError("BEGIN IMMEDIATE", None, sqlite3.OperationalError("database is locked"))


def _is_busy(exc: OperationalError) -> bool:
    name = str(getattr(exc.orig, "sqlite_errorname", ""))
    return name.startswith(("SQLITE_BUSY", "SQLITE_LOCKED"))  # and SQLITE_BUSY_RECOVERY, ...


def _on_connect(dbapi_connection: Any, record: Any) -> None:
    # What every connection gets (no driver-issued BEGIN, the pragmas; this runs in a worker
    # thread, where they may wait), then no busy waiting inside SQLite: on the loop, that
    # would block it; begin() retries instead.
    on_sqlite_connect(dbapi_connection, record)
    dbapi_connection.execute("PRAGMA busy_timeout=0")
