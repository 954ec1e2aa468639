"""Schema migrations, run programmatically: no alembic.ini, no dependence on the current folder."""

from __future__ import annotations

import asyncio
import logging
from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from sqlalchemy import pool
from sqlalchemy.engine import Connection

from storage.db import make_engine

log = logging.getLogger(__name__)

MIGRATIONS_DIR = Path(__file__).resolve().parent / "migrations"


def alembic_config(url: str) -> Config:
    """An Alembic Config for the package's migrations and this database."""
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    # Passed as an attribute, not a main option: ConfigParser would mangle '%' in passwords.
    config.attributes["url"] = url
    return config


def migrate(url: str) -> None:
    """Upgrade the database to the newest schema (`alembic upgrade head`); safe to repeat.

    Blocking, and runs its own event loop: from async code use
    `await asyncio.to_thread(migrate, url)`.
    """
    _refuse_running_loop("migrate")
    command.upgrade(alembic_config(url), "head")
    log.info("database schema at revision %s", current_revision(url))


def current_revision(url: str) -> str | None:
    """The schema revision the database is at; None for an empty database."""
    _refuse_running_loop("current_revision")
    return asyncio.run(_current_revision(url))


async def _current_revision(url: str) -> str | None:
    engine = make_engine(url, poolclass=pool.NullPool)
    try:
        async with engine.connect() as conn:
            return await conn.run_sync(_revision_of)
    finally:
        await engine.dispose()


def _revision_of(connection: Connection) -> str | None:
    return MigrationContext.configure(connection).get_current_revision()


def _refuse_running_loop(name: str) -> None:
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        return
    raise RuntimeError(f"{name}() blocks; from async code call it via asyncio.to_thread")
