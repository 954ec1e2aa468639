"""A gateway's own database (its books): opened with its tables made if they are missing."""

from __future__ import annotations

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncEngine


async def with_tables(engine: AsyncEngine, metadata: sa.MetaData) -> AsyncEngine:
    """`engine`, once `metadata`'s tables exist; disposed (and the error raised) otherwise."""
    try:
        async with engine.begin() as conn:
            await conn.run_sync(metadata.create_all)
    except BaseException:
        await engine.dispose()
        raise
    return engine
