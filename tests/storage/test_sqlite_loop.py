"""SQLite transactions on the event loop's thread: one at a time, never blocking the loop
while another process holds the write lock, durable, and rolled back on any exception."""

from __future__ import annotations

import asyncio
import sqlite3
import threading
import time
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import event, text
from sqlalchemy.exc import OperationalError

from storage import sqlite_loop
from storage.sqlite_loop import LoopSqlite


@pytest.fixture
def db(tmp_path: Path) -> LoopSqlite:
    path = tmp_path / "loop.db"
    with sqlite3.connect(path) as conn:
        conn.execute("PRAGMA journal_mode=WAL")  # as storage.migrate leaves every database
        conn.execute("CREATE TABLE counter (n INTEGER NOT NULL)")
        conn.execute("INSERT INTO counter VALUES (0)")
    conn.close()
    return LoopSqlite(f"sqlite+aiosqlite:///{path}")


def count(path: Path) -> int:
    with sqlite3.connect(path) as conn:
        (n,) = conn.execute("SELECT n FROM counter").fetchone()
    conn.close()
    return int(n)


async def add_one(db: LoopSqlite) -> None:
    async with db.begin() as conn:
        await conn.execute(text("UPDATE counter SET n = n + 1"))


def db_path(db: LoopSqlite) -> Path:
    return Path(str(db.engine.url.database))


async def test_pragmas_are_those_of_every_connection_but_with_no_busy_wait(db: LoopSqlite) -> None:
    try:
        async with db.begin() as conn:
            got = [
                (await conn.execute(text(f"PRAGMA {name}"))).scalar()
                for name in ("journal_mode", "synchronous", "busy_timeout", "foreign_keys")
            ]
    finally:
        await db.dispose()
    assert got == ["wal", 2, 0, 1]


async def test_statements_run_on_the_loops_thread(db: LoopSqlite) -> None:
    threads: list[str] = []

    def seen(*_args: Any) -> None:
        threads.append(threading.current_thread().name)

    event.listen(db.engine, "before_cursor_execute", seen)
    try:
        await add_one(db)
    finally:
        await db.dispose()
    assert threads
    assert set(threads) == {threading.current_thread().name}
    assert count(db_path(db)) == 1


async def test_a_crowd_of_read_then_write_transactions_takes_turns(db: LoopSqlite) -> None:
    async def bump() -> None:
        async with db.begin() as conn:
            n = (await conn.execute(text("SELECT n FROM counter"))).scalar_one()
            await asyncio.sleep(0.001)  # every other writer tries to get in meanwhile
            await conn.execute(text("UPDATE counter SET n = :n"), {"n": n + 1})

    try:
        await asyncio.gather(*(bump() for _ in range(60)))
    finally:
        await db.dispose()
    assert count(db_path(db)) == 60


async def test_an_exception_rolls_back_and_the_next_transaction_runs(db: LoopSqlite) -> None:
    async def failing() -> None:
        async with db.begin() as conn:
            await conn.execute(text("UPDATE counter SET n = 99"))
            raise RuntimeError("boom")

    try:
        with pytest.raises(RuntimeError, match="boom"):
            await failing()
        assert count(db_path(db)) == 0
        await add_one(db)
    finally:
        await db.dispose()
    assert count(db_path(db)) == 1


async def test_a_cancelled_transaction_is_rolled_back(db: LoopSqlite) -> None:
    entered = asyncio.Event()

    async def slow() -> None:
        async with db.begin() as conn:
            await conn.execute(text("UPDATE counter SET n = 7"))
            entered.set()
            await asyncio.sleep(10)

    try:
        task = asyncio.create_task(slow())
        await entered.wait()
        task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await task
        await add_one(db)
    finally:
        await db.dispose()
    assert count(db_path(db)) == 1


async def test_another_process_holding_the_lock_does_not_block_the_loop(db: LoopSqlite) -> None:
    """The loop keeps ticking while BEGIN IMMEDIATE waits its turn, which comes as soon as
    the other writer commits."""
    other = sqlite3.connect(db_path(db), isolation_level=None)
    other.execute("BEGIN IMMEDIATE")
    ticks = 0

    async def ticker() -> None:
        nonlocal ticks
        while True:
            await asyncio.sleep(0.01)
            ticks += 1

    async def bump() -> None:
        await add_one(db)

    beat = asyncio.create_task(ticker())
    try:
        waiting = asyncio.create_task(add_one(db))
        await asyncio.sleep(0.3)
        assert not waiting.done()
        assert ticks >= 10  # about 30 in 0.3 s; a blocked loop would have none
        other.execute("COMMIT")
        await asyncio.wait_for(waiting, 2)
    finally:
        beat.cancel()
        other.close()
        await db.dispose()
    assert count(db_path(db)) == 1


async def test_a_lock_held_past_the_busy_timeout_fails_like_sqlite_does(
    db: LoopSqlite, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(sqlite_loop, "BUSY_TIMEOUT_S", 0.2)
    other = sqlite3.connect(db_path(db), isolation_level=None)
    other.execute("BEGIN IMMEDIATE")
    try:
        with pytest.raises(OperationalError, match="locked"):
            async with db.begin() as conn:
                await conn.execute(text("UPDATE counter SET n = 5"))
        other.execute("ROLLBACK")
        await add_one(db)  # and the connection is fine afterwards
    finally:
        other.close()
        await db.dispose()
    assert count(db_path(db)) == 1


async def test_a_commit_survives_a_new_connection(db: LoopSqlite) -> None:
    async with db.begin() as conn:
        await conn.execute(text("UPDATE counter SET n = 3"))
    await db.dispose()
    again = LoopSqlite(db.engine.url)
    try:
        async with again.begin() as conn:
            assert (await conn.execute(text("SELECT n FROM counter"))).scalar_one() == 3
    finally:
        await again.dispose()


async def test_transactions_that_overlap_share_one_commit_and_each_sees_it_done(
    db: LoopSqlite,
) -> None:
    """Group commit: twenty writers at once take far fewer than twenty fsyncs, and each
    resumes only once its own change is committed (another connection can read it)."""
    commits = 0

    def committed(_conn: Any) -> None:
        nonlocal commits
        commits += 1

    event.listen(db.engine, "commit", committed)
    seen_after: list[int] = []

    async def bump() -> None:
        await add_one(db)
        seen_after.append(count(db_path(db)))

    try:
        await asyncio.gather(*(bump() for _ in range(20)))
    finally:
        await db.dispose()
    assert count(db_path(db)) == 20
    assert 1 <= commits <= 3
    assert len(seen_after) == 20
    assert min(seen_after) >= 1  # none resumed before a commit that included its change


async def test_a_failing_transaction_in_a_group_undoes_only_its_own_changes(
    db: LoopSqlite,
) -> None:
    async def failing() -> None:
        async with db.begin() as conn:
            await conn.execute(text("UPDATE counter SET n = n + 100"))
            raise RuntimeError("boom")

    try:
        results = await asyncio.gather(add_one(db), failing(), add_one(db), return_exceptions=True)
    finally:
        await db.dispose()
    assert [type(r).__name__ for r in results] == ["NoneType", "RuntimeError", "NoneType"]
    assert count(db_path(db)) == 2


async def test_a_failed_commit_fails_every_transaction_of_the_group_and_writes_nothing(
    db: LoopSqlite,
) -> None:
    fail = True

    def disk_full(_conn: Any) -> None:
        if fail:
            raise OSError("disk full")

    event.listen(db.engine, "commit", disk_full)
    try:
        results = await asyncio.gather(*(add_one(db) for _ in range(5)), return_exceptions=True)
        assert all(isinstance(r, OSError) for r in results), results
        assert count(db_path(db)) == 0
        fail = False
        await add_one(db)  # the next group commits as usual
    finally:
        await db.dispose()
    assert count(db_path(db)) == 1


async def test_closing_with_a_group_open_commits_it_first(db: LoopSqlite) -> None:
    await add_one(db)  # the connection is open: the next transaction runs in one step
    waiting = asyncio.create_task(add_one(db))
    await asyncio.sleep(0)
    assert db._group is not None  # its savepoint is released, its group not yet committed
    await db.dispose()
    await waiting
    assert count(db_path(db)) == 2


async def test_every_waiter_gives_up_after_its_own_busy_timeout_not_one_after_another(
    db: LoopSqlite, monkeypatch: pytest.MonkeyPatch
) -> None:
    """While another process holds the database, five requests at once all fail after one
    busy timeout (a 503 each, at once), instead of the last waiting five timeouts."""
    monkeypatch.setattr(sqlite_loop, "BUSY_TIMEOUT_S", 0.3)
    await add_one(db)  # the connection is open
    other = sqlite3.connect(db_path(db), isolation_level=None)
    other.execute("BEGIN IMMEDIATE")
    try:
        started = time.monotonic()
        results = await asyncio.gather(*(add_one(db) for _ in range(5)), return_exceptions=True)
        elapsed = time.monotonic() - started
    finally:
        other.execute("ROLLBACK")
        other.close()
    try:
        assert all(isinstance(r, OperationalError) and "locked" in str(r) for r in results)
        assert elapsed < 0.9  # one timeout each, side by side; in turn it would be 1.5 s
        await add_one(db)
    finally:
        await db.dispose()
    assert count(db_path(db)) == 2


async def test_a_committer_cancelled_mid_commit_still_answers_its_group(db: LoopSqlite) -> None:
    """The loop closing cancels the committer while COMMIT runs in its thread: the group
    still hears how the COMMIT went, and nobody touches the connection before it ends."""
    await add_one(db)
    waiting = asyncio.create_task(add_one(db))
    await asyncio.sleep(0)
    committer = db._committer
    assert committer is not None
    for _ in range(100):  # until the committer holds the lock: its COMMIT is under way
        if db._locked().locked():
            break
        await asyncio.sleep(0)
    assert db._locked().locked()
    committer.cancel()
    await asyncio.wait_for(waiting, 5)  # committed, not left hanging
    await add_one(db)  # and the next transaction runs
    await db.dispose()
    assert count(db_path(db)) == 3


async def test_closing_waits_for_a_group_opened_behind_the_committer(db: LoopSqlite) -> None:
    await add_one(db)
    first = asyncio.create_task(add_one(db))
    await asyncio.sleep(0)
    second = asyncio.create_task(add_one(db))  # queued: it opens the next group
    await db.dispose()
    await asyncio.wait_for(asyncio.gather(first, second), 5)
    assert count(db_path(db)) == 3
