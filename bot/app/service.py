"""The Service bootstrap returns: the engine, the ASGI app, the bot if on, the jobs, closers."""

from __future__ import annotations

from contextlib import AsyncExitStack
from dataclasses import dataclass, field

from fastapi import FastAPI
from sqlalchemy.ext.asyncio import AsyncEngine
from telegram.ext import Application

from bot.app.jobs import Job
from bot.app.settings import Settings
from core.usecases.engine import Engine
from gateways.sandbox import SandboxGateway
from gateways.stripe import StripeGateway
from gateways.telegram import TelegramGateway
from storage.store import SqlStore
from trust.authority import Authority


@dataclass
class Service:
    """Chipin, built. `async with service:` opens the gateways' books and closes everything
    on the way out; `close()` alone suits a command that only uses the engine."""

    settings: Settings
    engine: Engine
    asgi: FastAPI  # the listener's app: webhooks, the REST API, the pages, the bot's webhook
    bot: Application | None  # type: ignore[type-arg]  # None: the bot is off
    webhook_token: str | None  # the bot takes updates on the listener (None: it polls)
    jobs: tuple[Job, ...]  # each in a task of its own (bot.app.runner), bot or no bot
    sandbox: SandboxGateway  # its outbox delivers webhooks in a task of its own
    db: AsyncEngine
    closers: AsyncExitStack = field(repr=False)
    stripe: StripeGateway | None = None
    telegram: TelegramGateway | None = None
    store: SqlStore | None = None
    authority: Authority | None = None

    async def __aenter__(self) -> Service:
        try:
            await self.sandbox.start()
            if self.telegram is not None:
                await self.telegram.start()
        except BaseException:
            await self.close()
            raise
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self.close()

    async def close(self) -> None:
        """Close what was built, the last built first (the database last)."""
        await self.closers.aclose()
