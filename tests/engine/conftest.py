"""Engine tests run over the in-memory store and over every SQL backend (SQLite, PostgreSQL)."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import pytest

from storage.db import make_engine
from storage.store import SqlStore
from tests.harness import Rig, build_rig
from tests.storage.backends import PgServer, copy_sqlite

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


@pytest.fixture
async def rig(store_url: str | None) -> AsyncIterator[Rig]:
    """An engine over fakes and the store named by `store_url`."""
    if store_url is None:
        yield build_rig()
        return
    engine = make_engine(store_url)
    try:
        yield build_rig(SqlStore(engine))
    finally:
        await engine.dispose()
