"""Alembic environment: runs migrations on the async engine that storage.db.make_engine builds."""

from __future__ import annotations

import asyncio

from alembic import context
from sqlalchemy import pool
from sqlalchemy.engine import Connection

from storage.db import make_engine
from storage.tables import metadata

config = context.config


def _url() -> str:
    url = config.attributes.get("url") or config.get_main_option("sqlalchemy.url")
    if not url:
        raise RuntimeError("no database URL: use storage.migrate.migrate(url)")
    return str(url)


def _run(connection: Connection) -> None:
    sqlite = connection.dialect.name == "sqlite"
    if sqlite:
        # A batch that copies a table other tables refer to (0014: sub_orders) drops the
        # original: SQLite's own procedure for that is foreign keys off outside the
        # transaction, then a foreign_key_check before the commit (sqlite.org/lang_altertable).
        _pragma(connection, "PRAGMA foreign_keys=OFF")
    context.configure(
        connection=connection,
        target_metadata=metadata,
        # SQLite cannot ALTER most things; later migrations get copy-and-move batches.
        render_as_batch=connection.dialect.name == "sqlite",
        compare_type=True,
    )
    with context.begin_transaction():
        context.run_migrations()
        if sqlite:
            broken = connection.exec_driver_sql("PRAGMA foreign_key_check").first()
            if broken is not None:
                raise RuntimeError(f"a migration broke a foreign key: {tuple(broken)}")
    if sqlite:
        _pragma(connection, "PRAGMA foreign_keys=ON")


def _pragma(connection: Connection, pragma: str) -> None:
    """Run a PRAGMA outside any transaction (the driver's own cursor: no BEGIN first)."""
    cursor = connection.connection.cursor()
    try:
        cursor.execute(pragma)
    finally:
        cursor.close()


async def _run_online() -> None:
    engine = make_engine(_url(), poolclass=pool.NullPool)
    try:
        async with engine.connect() as connection:
            await connection.run_sync(_run)
    finally:
        await engine.dispose()


def _run_offline() -> None:
    context.configure(url=_url(), target_metadata=metadata, literal_binds=True)
    with context.begin_transaction():
        context.run_migrations()


if context.is_offline_mode():
    _run_offline()
else:
    asyncio.run(_run_online())
