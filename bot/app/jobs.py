"""Every periodic job, declared once: the bot's JobQueue runs them, or a small asyncio loop."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator, Awaitable, Callable, Sequence
from dataclasses import dataclass

from telegram.ext import ContextTypes, JobQueue

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


def schedule(queue: JobQueue, jobs: Sequence[Job]) -> None:  # type: ignore[type-arg]
    """With the bot on: the jobs run on its JobQueue, beside the reminders."""
    for job in jobs:

        async def callback(_context: ContextTypes.DEFAULT_TYPE, job: Job = job) -> None:
            await job.run_once()

        queue.run_repeating(callback, interval=job.interval_s, first=job.first_s, name=job.name)


@contextlib.asynccontextmanager
async def looping(jobs: Sequence[Job]) -> AsyncIterator[None]:
    """With the bot off: each job in an asyncio task of its own, cancelled on the way out."""
    tasks = [asyncio.create_task(_every(job), name=job.name) for job in jobs]
    try:
        yield
    finally:
        for task in tasks:
            task.cancel()
        for task in tasks:
            with contextlib.suppress(asyncio.CancelledError):
                await task


async def _every(job: Job) -> None:
    await asyncio.sleep(job.first_s)
    while True:
        await job.run_once()
        await asyncio.sleep(job.interval_s)
