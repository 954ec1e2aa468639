"""Fixtures of the chaos scenarios: fresh PostgreSQL databases, and the figures summary."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.chaos.runs import Database
from tests.support.backends import PgServer


@pytest.fixture(autouse=True)
def ptb_timedelta(monkeypatch: pytest.MonkeyPatch) -> None:
    """Opt in to PTB's timedelta periods (RetryAfter.retry_after) instead of the deprecated int."""
    monkeypatch.setenv("PTB_TIMEDELTA", "true")


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def database(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Database]:
    """Chipin's database for one run: a new SQLite file, or a fresh, empty PostgreSQL
    database (`chipin migrate` builds it) dropped afterwards."""
    if request.param == "sqlite":
        yield Database("sqlite", f"sqlite+aiosqlite:///{tmp_path / 'chipin.db'}")
        return
    server: PgServer = request.getfixturevalue("pg_server")
    name = server.create()
    try:
        yield Database("postgres", server.url(name))
    finally:
        server.drop(name)


@pytest.fixture
def pg_database(pg_server: PgServer) -> Iterator[Database]:
    """A fresh, empty PostgreSQL database, dropped afterwards."""
    name = pg_server.create()
    try:
        yield Database("postgres", pg_server.url(name))
    finally:
        pg_server.drop(name)
