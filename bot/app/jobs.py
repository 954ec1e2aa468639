"""Every periodic job, declared once, each run in an asyncio task of its own beside the bot.

The jobs do not wait for the bot: they run from start-up, whether Telegram answers or not
(bot.app.runner starts them with the listener). Reminders, which need the bot, stay on its
JobQueue (bot.chat.collect.payee).
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass

from bot.app.settings import Settings
from core.usecases.engine import Engine

log = logging.getLogger(__name__)

PURGE_EVERY_S = 3600.0  # the outbox forgets what it finished a week ago (core.domain.outbox)


@dataclass(frozen=True, slots=True)
class Job:
    """`run` every `interval_s`, the first time `first_s` after start-up."""

    name: str
    interval_s: float
    first_s: float
    run: Callable[[], Awaitable[object]]

    async def run_once(self) -> None:
        """One pass; a failing pass is logged, and the next one comes all the same."""
        try:
            await self.run()
        except Exception:
            log.exception("%s pass failed; retrying in %.0f s", self.name, self.interval_s)


def engine_jobs(settings: Settings, engine: Engine) -> tuple[Job, ...]:
    """The engine's timers: holds expire and orders close (tick), gateways are asked about
    what their webhooks did not say (reconcile), and a signed tree head whenever the ledger
    grew (tampering shows against the last one), and the outbox's old rows purged."""
    return (
        Job("tick", settings.tick_s, settings.tick_s, engine.tick),
        Job("reconcile", settings.reconcile_s, 0.0, engine.reconcile),
        Job("sign ledger head", settings.head_s, 0.0, engine.sign_head),
        Job("purge outbox", PURGE_EVERY_S, PURGE_EVERY_S, engine.purge_outbox),
    )


async def every(job: Job) -> None:
    """Run `job` for ever, a pass at a time: the first after `first_s`, then `interval_s`
    after each pass ends (passes never overlap). Cancel the task to stop it."""
    await asyncio.sleep(job.first_s)
    while True:
        await job.run_once()
        await asyncio.sleep(job.interval_s)
