"""Making the database unavailable for a while: a cut TCP proxy (PostgreSQL), or a write lock
held by another connection past the busy timeout (SQLite)."""

from __future__ import annotations

import asyncio
import random
import sqlite3
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Protocol

from tests.chaos.tcp_proxy import TcpProxy


class Outage(Protocol):
    name: str

    async def begin(self) -> None: ...
    async def end(self) -> None: ...


class ProxyCut:
    """PostgreSQL goes away: every connection through the proxy is cut, new ones refused."""

    name = "PostgreSQL unreachable (proxy cut)"

    def __init__(self, proxy: TcpProxy) -> None:
        self.proxy = proxy

    async def begin(self) -> None:
        await self.proxy.cut()

    async def end(self) -> None:
        await self.proxy.restore()


class SqliteWriteLock:
    """Another process holds SQLite's write lock: every Chipin transaction (each begins
    IMMEDIATE) waits out its busy timeout and fails with 'database is locked'."""

    name = "SQLite locked (write lock held past the busy timeout)"

    def __init__(self, path: Path) -> None:
        self.path = path
        self._conn: sqlite3.Connection | None = None

    async def begin(self) -> None:
        self._conn = await asyncio.to_thread(self._lock)

    async def end(self) -> None:
        conn, self._conn = self._conn, None
        if conn is not None:
            await asyncio.to_thread(_unlock, conn)

    def _lock(self) -> sqlite3.Connection:
        # Waits (up to 30 s) for a Chipin transaction in flight to finish, then holds the lock.
        conn = sqlite3.connect(self.path, timeout=30, isolation_level=None, check_same_thread=False)
        conn.execute("BEGIN IMMEDIATE")
        return conn


def _unlock(conn: sqlite3.Connection) -> None:
    conn.execute("ROLLBACK")
    conn.close()


def outage_for(
    outage: Outage, span_s: tuple[float, float]
) -> Callable[[random.Random], Awaitable[None]]:
    """A FaultLoop injection: the outage, lasting a random time within `span_s`."""

    async def strike(rng: random.Random) -> None:
        await outage.begin()
        try:
            await asyncio.sleep(rng.uniform(*span_s))
        finally:
            await outage.end()

    return strike
