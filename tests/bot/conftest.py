"""Fixtures for the handler tests: a running bot over an in-memory engine and the emulator."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from tests.support.ptb import BotRig, running_bot


@pytest.fixture(autouse=True)
def ptb_timedelta(monkeypatch: pytest.MonkeyPatch) -> None:
    """Opt in to PTB's timedelta periods (RetryAfter.retry_after) instead of the deprecated int."""
    monkeypatch.setenv("PTB_TIMEDELTA", "true")


@pytest.fixture
async def bot(tmp_path: Path) -> AsyncIterator[BotRig]:
    """The bot, started, with progress edits not spaced out (the board's own tests space them)."""
    async with running_bot(tmp_path) as running:
        yield running
