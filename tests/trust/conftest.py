"""Fixtures for the trust layer: a fixed clock, keyrings, a database engine on each backend, and
an engine rig (`rig`) for the heads, proofs and receipts asked of Chipin's use cases."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime

import pytest
from sqlalchemy.ext.asyncio import AsyncEngine

from storage.db import make_engine
from tests.support.engine_rig import rig
from trust.keyring import Keyring

__all__ = ["engine", "keyring", "rig"]

T0 = datetime(2026, 11, 26, 12, 0, 0, 250000, tzinfo=UTC)
MASTER = b"the-current-chipin-secret-key-0123456789abcdef"
OLD_MASTER = b"an-earlier-chipin-secret-key-0123456789abcdef"


@pytest.fixture
def keyring() -> Keyring:
    return Keyring(MASTER)


@pytest.fixture
async def engine(db_url: str) -> AsyncIterator[AsyncEngine]:
    """An engine on a fresh, migrated database (SQLite and PostgreSQL)."""
    db = make_engine(db_url)
    try:
        yield db
    finally:
        await db.dispose()
