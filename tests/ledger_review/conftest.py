"""The review's regression tests reuse the engine tests' `rig` and the bot tests' `bot`."""

from __future__ import annotations

from tests.bot.conftest import bot
from tests.engine.conftest import rig

__all__ = ["bot", "rig"]
