"""make_engine: supported URLs only; SQLite connections are WAL, durable, and lock up front."""

from __future__ import annotations

import asyncio
import sqlite3
import time
from pathlib import Path

import pytest
from sqlalchemy.pool import NullPool, QueuePool

from storage.db import UnsupportedDatabase, make_engine, shown
from storage.store import SqlStore
from tests.support.backends import copy_sqlite
from tests.support.sealing import sealer_for_tests


@pytest.mark.parametrize(
    "url",
    [
        "mysql+aiomysql://u@h/db",
        "postgresql://u@h/db",
        "sqlite:///x.db",
        "sqlite+aiosqlite://",
        "sqlite+aiosqlite:///:memory:",
    ],
)
def test_other_urls_are_refused(url: str) -> None:
    with pytest.raises(UnsupportedDatabase):
        make_engine(url)


async def test_sqlite_folder_is_created_and_pragmas_set(tmp_path: Path) -> None:
    engine = make_engine(f"sqlite+aiosqlite:///{tmp_path}/a/b/chipin.db")
    try:
        async with engine.connect() as conn:
            got = [
                (await conn.exec_driver_sql(f"PRAGMA {name}")).scalar()
                for name in ("journal_mode", "synchronous", "busy_timeout", "foreign_keys")
            ]
    finally:
        await engine.dispose()
    assert got == ["wal", 2, 5000, 1]
    assert (tmp_path / "a" / "b" / "chipin.db").exists()


async def test_sqlite_transaction_takes_the_write_lock_up_front(
    sqlite_template: Path, tmp_path: Path
) -> None:
    url = copy_sqlite(sqlite_template, tmp_path)
    store = SqlStore(make_engine(url), sealer_for_tests())
    other = sqlite3.connect(tmp_path / "chipin.db", timeout=0, isolation_level=None)
    try:
        async with store.transaction() as tx:
            await tx.orders.get_order_by_token("nothing")  # a read-only transaction still holds it
            with pytest.raises(sqlite3.OperationalError, match="locked"):
                other.execute("BEGIN IMMEDIATE")
        other.execute("BEGIN IMMEDIATE")
        other.execute("ROLLBACK")
    finally:
        other.close()
        await store.dispose()


async def test_sqlite_transactions_take_turns_on_one_connection(tmp_path: Path) -> None:
    """Writers queue on the event loop for the one pooled connection: under a crowd none
    waits in SQLite's sleeping busy handler, none fails with 'database is locked', and each
    read-then-write sees the one before it."""
    engine = make_engine(f"sqlite+aiosqlite:///{tmp_path}/turns.db")
    try:
        pool = engine.pool
        assert isinstance(pool, QueuePool)
        assert pool.size() == 1
        async with engine.begin() as conn:
            await conn.exec_driver_sql("CREATE TABLE counter (n INTEGER NOT NULL)")
            await conn.exec_driver_sql("INSERT INTO counter VALUES (0)")

        async def bump() -> None:
            async with engine.begin() as conn:
                n = (await conn.exec_driver_sql("SELECT n FROM counter")).scalar_one()
                await asyncio.sleep(0.001)  # let every other writer try to get in meanwhile
                await conn.exec_driver_sql(f"UPDATE counter SET n = {n + 1}")

        started = time.monotonic()
        await asyncio.gather(*(bump() for _ in range(60)))
        elapsed = time.monotonic() - started
        async with engine.connect() as conn:
            total = (await conn.exec_driver_sql("SELECT n FROM counter")).scalar_one()
    finally:
        await engine.dispose()
    assert total == 60
    assert elapsed < 4.0  # the busy handler's back-off made this crowd take seconds


def test_an_explicit_pool_class_is_kept(tmp_path: Path) -> None:
    engine = make_engine(f"sqlite+aiosqlite:///{tmp_path}/n.db", poolclass=NullPool)
    assert isinstance(engine.pool, NullPool)


@pytest.mark.parametrize(
    ("url", "said"),
    [
        ("postgresql+asyncpg://ann:pw1@db.example/chipin", "postgresql+asyncpg://ann:***@"),
        ("postgresql+asyncpg://ann@db.example/chipin?password=pw1", "?password=hidden"),
        ("postgresql+asyncpg://ann@h/c?sslpassword=pw1&ssl=require", "sslpassword=hidden"),
        ("sqlite+aiosqlite:////var/lib/chipin/chipin.db", "/var/lib/chipin/chipin.db"),
    ],
)
def test_a_url_is_shown_without_its_passwords(url: str, said: str) -> None:
    text = shown(url)

    assert said in text
    assert "pw1" not in text
