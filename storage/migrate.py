"""Schema migrations, run programmatically: no alembic.ini, no dependence on the current folder."""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass
from functools import cache
from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import column, inspect, pool, select, table
from sqlalchemy.engine import Connection

from storage.db import make_engine

log = logging.getLogger(__name__)

MIGRATIONS_DIR = Path(__file__).resolve().parent / "migrations"
VERSION_TABLE = "alembic_version"


def alembic_config(url: str) -> Config:
    """An Alembic Config for the package's migrations and this database."""
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    # Passed as an attribute, not a main option: ConfigParser would mangle '%' in passwords.
    config.attributes["url"] = url
    return config


def migrate(url: str, *, quiet: bool = False) -> None:
    """Upgrade the database to the newest schema (`alembic upgrade head`); safe to repeat.
    `quiet` keeps Alembic's step-by-step lines and the closing one out of the log.

    Blocking, and runs its own event loop: from async code use
    `await asyncio.to_thread(migrate, url)`.
    """
    _refuse_running_loop("migrate")
    alembic_log = logging.getLogger("alembic")
    level = alembic_log.level
    if quiet:
        alembic_log.setLevel(logging.WARNING)
    try:
        command.upgrade(alembic_config(url), "head")
    finally:
        alembic_log.setLevel(level)
    if not quiet:
        log.info("database schema at revision %s", current_revision(url))


@dataclass(frozen=True, slots=True)
class SchemaState:
    """Where a database's schema stands against this code's migrations."""

    current: str | None  # its revision; None when it has none (empty, or not Chipin's)
    head: str  # the newest revision this code has
    empty: bool  # no table at all: a new database
    known: bool  # `current` is one of this code's revisions (or None)

    @property
    def at_head(self) -> bool:
        return self.current == self.head


@cache
def _revisions() -> tuple[str, frozenset[str]]:
    script = ScriptDirectory.from_config(alembic_config(""))
    head = script.get_current_head()
    if head is None:
        raise RuntimeError(f"no migrations in {MIGRATIONS_DIR}")
    return head, frozenset(rev.revision for rev in script.walk_revisions())


def head_revision() -> str:
    """The newest schema revision this code migrates to."""
    return _revisions()[0]


async def schema_state(url: str) -> SchemaState:
    """The database's schema revision against this code's; safe from async code (it migrates
    nothing). Connecting creates an absent SQLite file, empty."""
    engine = make_engine(url, poolclass=pool.NullPool)
    try:
        async with engine.connect() as conn:
            current, tables = await conn.run_sync(_revision_and_tables)
    finally:
        await engine.dispose()
    head, known = _revisions()
    return SchemaState(current, head, not tables, current is None or current in known)


def _revision_and_tables(connection: Connection) -> tuple[str | None, list[str]]:
    # Read directly: Alembic's MigrationContext logs two lines at INFO on every start.
    tables = inspect(connection).get_table_names()
    if VERSION_TABLE not in tables:
        return None, tables
    version = table(VERSION_TABLE, column("version_num"))
    rows = connection.execute(select(version.c.version_num)).scalars().all()
    return (str(rows[0]) if len(rows) == 1 else None), tables


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
