"""Settings read from the environment alone; tests/gateways/conftest.py's `env` cleans it."""

from __future__ import annotations

from bot.app.settings import Settings


def settings() -> Settings:
    """Settings from the environment only (no `.env` file)."""
    return Settings(_env_file=None)  # type: ignore[call-arg]  # pydantic-settings' own keyword
