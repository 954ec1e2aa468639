"""Fresh, migrated test databases: SQLite files, and databases on the local PostgreSQL server.

Each backend is migrated once per test session into a template; every test then gets its
own copy (a file copy, or CREATE DATABASE ... TEMPLATE), which is much faster than
migrating per test.
"""

from __future__ import annotations

import asyncio
import os
import shutil
import uuid
from dataclasses import dataclass
from pathlib import Path
from typing import NoReturn

import pytest
from sqlalchemy.exc import DBAPIError
from sqlalchemy.ext.asyncio import create_async_engine
from sqlalchemy.pool import NullPool

from storage.migrate import migrate

PG_HOST = "127.0.0.1"
PG_PORT = 5432
PG_ADMIN_DB = "test"
PG_USERS = ("postgres", "root")  # trust auth; whichever the server knows


def sqlite_url(path: Path) -> str:
    return f"sqlite+aiosqlite:///{path}"


def make_sqlite_template(folder: Path) -> Path:
    """A migrated SQLite file to copy from."""
    path = folder / "template.db"
    migrate(sqlite_url(path))
    wal = path.with_name(path.name + "-wal")
    if wal.exists() and wal.stat().st_size:
        raise RuntimeError(f"{wal} not checkpointed; the template copy would miss data")
    return path


def copy_sqlite(template: Path, folder: Path) -> str:
    target = folder / "chipin.db"
    shutil.copyfile(template, target)
    return sqlite_url(target)


@dataclass(frozen=True, slots=True)
class PgServer:
    """The local PostgreSQL server, reachable as `user`."""

    user: str

    def url(self, database: str) -> str:
        return f"postgresql+asyncpg://{self.user}@{PG_HOST}:{PG_PORT}/{database}"

    def create(self, template: str | None = None) -> str:
        """A new database (a copy of `template`, if given); returns its name."""
        name = f"chipin_test_{uuid.uuid4().hex[:16]}"
        sql = f'CREATE DATABASE "{name}"'
        if template is not None:
            sql += f' TEMPLATE "{template}"'
        asyncio.run(self._admin(sql))
        return name

    def drop(self, name: str) -> None:
        asyncio.run(self._admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))

    async def _admin(self, sql: str) -> None:
        await _execute_autocommit(self.url(PG_ADMIN_DB), sql)


async def _execute_autocommit(url: str, sql: str) -> None:
    # CREATE/DROP DATABASE cannot run inside a transaction.
    engine = create_async_engine(
        url, isolation_level="AUTOCOMMIT", poolclass=NullPool, connect_args={"timeout": 5}
    )
    try:
        async with engine.connect() as conn:
            await conn.exec_driver_sql(sql)
    finally:
        await engine.dispose()


def find_pg_server() -> tuple[PgServer | None, str]:
    """The server under the first user it accepts, or None and why not."""
    errors = []
    for user in PG_USERS:
        server = PgServer(user)
        try:
            asyncio.run(_execute_autocommit(server.url(PG_ADMIN_DB), "SELECT 1"))
        except (OSError, TimeoutError, DBAPIError) as exc:
            errors.append(f"as {user}: {type(exc).__name__}: {str(exc).splitlines()[0]}")
            continue
        return server, ""
    return None, f"PostgreSQL at {PG_HOST}:{PG_PORT} is unusable ({'; '.join(errors)})"


def in_ci() -> bool:
    return os.environ.get("CI", "").lower() == "true"


def missing_here(reason: str) -> NoReturn:
    """What a test needs is not on this machine: skipped with the reason, or failed under
    CI=true, where everything `make test` installs must be there."""
    if in_ci():
        pytest.fail(f"CI=true and {reason}")
    pytest.skip(reason)
