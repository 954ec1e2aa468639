"""The `rig` fixture: an engine over fakes and the store named by `store_url`, for the engine
and trust tests (a conftest imports it to offer it to its folder)."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from tests.support.harness import Rig, build_rig, open_store


@pytest.fixture
async def rig(store_url: str | None) -> AsyncIterator[Rig]:
    """An engine over fakes and the store named by `store_url`."""
    async with open_store(store_url) as store:
        yield build_rig(store)
