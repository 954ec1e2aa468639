"""make_engine: supported URLs only; SQLite connections are WAL, durable, and lock up front."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest

from storage.db import UnsupportedDatabase, make_engine
from storage.store import SqlStore
from tests.sealing import sealer_for_tests
from tests.storage.backends import copy_sqlite


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
            await tx.get_order_by_token("nothing")  # a read-only transaction still holds it
            with pytest.raises(sqlite3.OperationalError, match="locked"):
                other.execute("BEGIN IMMEDIATE")
        other.execute("BEGIN IMMEDIATE")
        other.execute("ROLLBACK")
    finally:
        other.close()
        await store.dispose()
