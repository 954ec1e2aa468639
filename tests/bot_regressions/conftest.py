"""Reuse the handler tests' fixtures (a running bot over an offline Bot API)."""

from tests.bot.conftest import bot, ptb_timedelta

__all__ = ["bot", "ptb_timedelta"]
