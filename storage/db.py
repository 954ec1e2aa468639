"""Engine construction: SQLite (WAL, BEGIN IMMEDIATE) or PostgreSQL via asyncpg."""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

from sqlalchemy import event
from sqlalchemy.engine import URL, Connection, make_url
from sqlalchemy.exc import ArgumentError
from sqlalchemy.ext.asyncio import AsyncEngine, create_async_engine

log = logging.getLogger(__name__)

SQLITE_DRIVER = "sqlite+aiosqlite"
POSTGRES_DRIVER = "postgresql+asyncpg"

# Applied to every new SQLite connection, outside any transaction (journal_mode cannot
# change inside one). FULL sync: a commit that was acknowledged survives a power cut.
SQLITE_PRAGMAS = (
    "PRAGMA journal_mode=WAL",
    "PRAGMA synchronous=FULL",
    "PRAGMA busy_timeout=5000",
    "PRAGMA foreign_keys=ON",
)


class UnsupportedDatabase(ValueError):
    """The database URL names a backend Chipin does not support (the message never holds it)."""


WRITE = f"write {SQLITE_DRIVER}:///path/to/chipin.db or {POSTGRES_DRIVER}://user@host/db"


def normalize_url(url: str) -> str:
    """The URL Chipin's engines take, for the forms an operator may write: `postgres://` and
    `postgresql://` become `postgresql+asyncpg://` (with libpq's `sslmode=` as asyncpg's
    `ssl=`), `sqlite:///` becomes `sqlite+aiosqlite:///`; Chipin's own forms are kept as
    given. UnsupportedDatabase for any other driver, an in-memory SQLite database or text
    that is no URL; its message never repeats the URL, which may hold a password."""
    try:
        parsed = make_url(url.strip())
    except ArgumentError:
        raise UnsupportedDatabase(f"this is not a database URL: {WRITE}") from None
    driver = parsed.drivername
    if driver in ("postgres", "postgresql"):
        query = dict(parsed.query)
        if "sslmode" in query and "ssl" not in query:
            query["ssl"] = query.pop("sslmode")
        parsed = parsed.set(drivername=POSTGRES_DRIVER, query=query)
        return parsed.render_as_string(hide_password=False)
    if driver == "sqlite":
        _sqlite_file(parsed)
        return parsed.set(drivername=SQLITE_DRIVER).render_as_string(hide_password=False)
    if driver == SQLITE_DRIVER:
        _sqlite_file(parsed)
    elif driver != POSTGRES_DRIVER:
        raise UnsupportedDatabase(
            f"unsupported database {driver!r}: {WRITE} (sqlite:/// and postgres:// do too)"
        )
    return url.strip()


def shown(url: str) -> str:
    """The URL for a message or the log: its password masked, a SQLite file's path alone."""
    try:
        parsed = make_url(url)
    except ArgumentError:
        return "(not a URL)"
    if parsed.drivername.startswith("sqlite"):
        return parsed.database or ""
    query = {k: ("hidden" if _secret_name(k) else v) for k, v in parsed.query.items()}
    return parsed.set(query=query).render_as_string(hide_password=True)


def _secret_name(name: str) -> bool:
    """A query parameter that may carry a secret (asyncpg takes `password=` there too)."""
    return any(word in name.lower() for word in ("pass", "secret", "token"))


def _sqlite_file(url: URL) -> None:
    database = url.database or ""
    if database in ("", ":memory:") or database.startswith("file:"):
        # An in-memory database shares one connection between transactions, which
        # breaks their isolation; the exactly-N guarantee needs a real file.
        raise UnsupportedDatabase(f"SQLite needs a file path, e.g. {SQLITE_DRIVER}:///data/x.db")


def make_engine(url: str, **kwargs: Any) -> AsyncEngine:
    """An AsyncEngine for `sqlite+aiosqlite:///file` or `postgresql+asyncpg://...`.

    Extra keyword arguments go to `create_async_engine` (pool sizes, echo).
    """
    parsed = make_url(url)
    driver = parsed.drivername
    if driver == SQLITE_DRIVER:
        return _sqlite_engine(parsed, **kwargs)
    if driver == POSTGRES_DRIVER:
        # READ COMMITTED is enough: every cap is one conditional UPDATE, which re-checks
        # its WHERE clause against the latest committed row version.
        return create_async_engine(parsed, pool_pre_ping=True, hide_parameters=True, **kwargs)
    raise UnsupportedDatabase(
        f"unsupported database URL scheme {driver!r}; "
        f"use {SQLITE_DRIVER}:///path/to/file.db or {POSTGRES_DRIVER}://user@host/db"
    )


def _sqlite_engine(url: URL, **kwargs: Any) -> AsyncEngine:
    _sqlite_file(url)
    Path(url.database or "").expanduser().parent.mkdir(parents=True, exist_ok=True)
    if "poolclass" not in kwargs:
        # Every transaction here is a writer (BEGIN IMMEDIATE) and SQLite admits one at a
        # time: one pooled connection makes the others wait in turn on the event loop,
        # instead of in SQLite's busy handler, which sleeps and polls (5 s at worst).
        kwargs = {"pool_size": 1, "max_overflow": 0, **kwargs}
    engine = create_async_engine(url, hide_parameters=True, **kwargs)
    event.listen(engine.sync_engine, "connect", on_sqlite_connect)
    event.listen(engine.sync_engine, "begin", _on_sqlite_begin)
    return engine


def on_sqlite_connect(dbapi_connection: Any, _record: Any) -> None:
    # Stop the sqlite3 driver from issuing its own (deferred) BEGIN; _on_sqlite_begin does it.
    dbapi_connection.isolation_level = None
    cursor = dbapi_connection.cursor()
    try:
        for pragma in SQLITE_PRAGMAS:
            cursor.execute(pragma)
    finally:
        cursor.close()


def _on_sqlite_begin(conn: Connection) -> None:
    # Take the write lock up front: two transactions that read then write can never
    # both hold a read snapshot and then fail to upgrade (SQLITE_BUSY mid-transaction).
    conn.exec_driver_sql("BEGIN IMMEDIATE")
