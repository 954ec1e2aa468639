"""Engine tests run over the in-memory store and over every SQL backend (SQLite, PostgreSQL)."""

from __future__ import annotations

from tests.support.engine_rig import rig

__all__ = ["rig"]
