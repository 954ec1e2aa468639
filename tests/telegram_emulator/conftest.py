"""Fixtures: an emulator served on 127.0.0.1 and a real PTB Application polling it."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from typing import Any

import pytest
from telegram import Message, Update
from telegram.ext import Application, ApplicationBuilder, ContextTypes

from tests.telegram_emulator import Emulator, FloodLimits, Served, serve

App = Application[Any, Any, Any, Any, Any, Any]


@dataclass
class Rig:
    emulator: Emulator
    served: Served
    app: App
    errors: list[object] = field(default_factory=list)


@pytest.fixture(autouse=True)
def ptb_timedelta(monkeypatch: pytest.MonkeyPatch) -> None:
    """Opt in to PTB's timedelta periods (RetryAfter.retry_after) instead of the deprecated int."""
    monkeypatch.setenv("PTB_TIMEDELTA", "true")


@pytest.fixture
def limits() -> FloodLimits:
    return FloodLimits()


@pytest.fixture
def emulator(limits: FloodLimits) -> Emulator:
    return Emulator(limits=limits, webhook_retry_delay_s=0.05)


@pytest.fixture
async def served(emulator: Emulator) -> AsyncIterator[Served]:
    async with serve(emulator) as running:
        yield running


def build_app(emulator: Emulator, served: Served, *, polling: bool = True) -> App:
    builder = (
        ApplicationBuilder()
        .token(emulator.token)
        .base_url(served.bot_base_url)
        .base_file_url(served.file_base_url)
    )
    if not polling:
        builder = builder.updater(None)
    app: App = builder.build()
    return app


@pytest.fixture
async def rig(emulator: Emulator, served: Served) -> AsyncIterator[Rig]:
    """A started PTB Application long-polling the emulator; handler errors fail the test."""
    app = build_app(emulator, served)
    rig = Rig(emulator, served, app)

    async def on_error(update: object, context: ContextTypes.DEFAULT_TYPE) -> None:
        rig.errors.append(context.error)

    app.add_error_handler(on_error)
    async with app:
        await app.start()
        assert app.updater is not None
        await app.updater.start_polling(poll_interval=0, timeout=1, drop_pending_updates=True)
        try:
            yield rig
        finally:
            await app.updater.stop()
            await app.stop()
    assert rig.errors == []


def message_of(update: Update) -> Message:
    """The update's message, asserted present (handlers here only get message updates)."""
    assert update.effective_message is not None
    return update.effective_message
