"""Shared fixtures. Databases: `db_url` (fresh, migrated, per test, on SQLite and PostgreSQL),
`blank_db_url` (fresh and empty) and `store` (a SqlStore on `db_url`).

PostgreSQL tests carry the `postgres` marker (deselect with `-m "not postgres"`). When the
server is unreachable they are skipped with the reason, except under CI=true, where they fail.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any

import pytest

from storage.db import make_engine
from storage.migrate import migrate
from storage.store import SqlStore
from tests.chaos.report import REPORTS
from tests.chaos.scale import LONG, SEED
from tests.support.backends import (
    PgServer,
    copy_sqlite,
    find_pg_server,
    make_sqlite_template,
    missing_here,
    sqlite_url,
)
from tests.support.sealing import sealer_for_tests

BACKENDS = ["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)]


# ---- databases (storage) ----


@pytest.fixture(scope="session")
def pg_server() -> PgServer:
    """The local PostgreSQL server; skip (or, under CI=true, fail) when it is unusable."""
    server, reason = find_pg_server()
    if server is None:
        missing_here(reason)
    return server


@pytest.fixture(scope="session")
def pg_template(pg_server: PgServer) -> Iterator[str]:
    """A migrated PostgreSQL database that per-test databases are copied from."""
    name = pg_server.create()
    try:
        migrate(pg_server.url(name))
        yield name
    finally:
        pg_server.drop(name)


@pytest.fixture
def pg_url(pg_server: PgServer, pg_template: str) -> Iterator[str]:
    """A fresh, migrated PostgreSQL database alone: for races that need truly concurrent
    transactions (SQLite serialises them)."""
    name = pg_server.create(template=pg_template)
    try:
        yield pg_server.url(name)
    finally:
        pg_server.drop(name)


@pytest.fixture(scope="session")
def sqlite_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return make_sqlite_template(tmp_path_factory.mktemp("sqlite-template"))


@pytest.fixture(params=BACKENDS)
def db_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """A fresh database at the newest schema, private to this test."""
    if request.param == "sqlite":
        yield copy_sqlite(request.getfixturevalue("sqlite_template"), tmp_path)
        return
    server: PgServer = request.getfixturevalue("pg_server")
    name = server.create(template=request.getfixturevalue("pg_template"))
    try:
        yield server.url(name)
    finally:
        server.drop(name)


@pytest.fixture(params=BACKENDS)
def blank_db_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """A fresh, empty database (no schema), private to this test: for migration tests."""
    if request.param == "sqlite":
        yield sqlite_url(tmp_path / "blank.db")
        return
    server: PgServer = request.getfixturevalue("pg_server")
    name = server.create()
    try:
        yield server.url(name)
    finally:
        server.drop(name)


@pytest.fixture
async def store(db_url: str) -> AsyncIterator[SqlStore]:
    """A SqlStore on a fresh database; disposed afterwards."""
    store = SqlStore(make_engine(db_url), sealer_for_tests())
    try:
        yield store
    finally:
        await store.dispose()


# ---- stores for engine and web tests ----

STORES = ["memory", "sqlite", pytest.param("postgres", marks=pytest.mark.postgres)]


@pytest.fixture(params=STORES)
def store_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str | None]:
    """None for the in-memory store, else a fresh migrated database of the named backend."""
    if request.param == "memory":
        yield None
    elif request.param == "sqlite":
        yield copy_sqlite(request.getfixturevalue("sqlite_template"), tmp_path)
    else:
        server: PgServer = request.getfixturevalue("pg_server")
        name = server.create(template=request.getfixturevalue("pg_template"))
        try:
            yield server.url(name)
        finally:
            server.drop(name)


# ---- the chaos scenarios' figures, printed at the end of the run (with or without xdist) ----

_FROM_WORKERS: list[str] = []


def pytest_sessionfinish(session: pytest.Session) -> None:
    """An xdist worker hands its chaos figures to the controller, which prints them."""
    out = getattr(session.config, "workeroutput", None)
    if out is not None:
        out["chaos_reports"] = [found.line() for found in REPORTS]


@pytest.hookimpl(optionalhook=True)
def pytest_testnodedown(node: Any, error: object) -> None:
    _FROM_WORKERS.extend(getattr(node, "workeroutput", {}).get("chaos_reports", []))


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    lines = [found.line() for found in REPORTS] + _FROM_WORKERS
    if not lines:
        return
    size = "long (CHAOS_LONG=1)" if LONG else "short"
    terminalreporter.section(f"chaos figures, {size} versions, seed {SEED}")
    for line in lines:
        terminalreporter.write_line(line)
