"""Runs a bootstrapped Service in one event loop: the listener, the bot, the jobs, deliveries."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator, Callable, Coroutine, Mapping
from functools import partial
from typing import Any

import uvicorn
from fastapi import FastAPI

from bot.app.bootstrap import bootstrap
from bot.app.jobs import every
from bot.app.service import Service
from bot.app.settings import Settings
from bot.app.webhook import set_webhook
from bot.chat.application import rebuild_timers, set_commands

log = logging.getLogger(__name__)

Work = Callable[[], Coroutine[Any, Any, None]]  # one piece of background work, run until cancelled


async def serve(settings: Settings, *, with_bot: bool) -> None:
    """Serve until SIGINT/SIGTERM, then stop the background work cleanly."""
    if not with_bot and "telegram" in settings.enabled_gateways:
        log.warning("Telegram Payments need the bot: Stars refunds wait until `chipin run`")
    service = await bootstrap(settings, bot=with_bot)
    async with service, _running(background(service)), _bot_running(service):
        await _listener(service).serve()


def background(service: Service) -> dict[str, Work]:
    """What runs beside the listener from start-up to shutdown, whether the bot is up or not,
    by task name: the sandbox's webhook deliveries and every periodic job. More background
    work goes here."""
    work: dict[str, Work] = {"sandbox deliveries": service.sandbox.run_delivery}
    work.update({job.name: partial(every, job) for job in service.jobs})
    return work


@contextlib.asynccontextmanager
async def _running(work: Mapping[str, Work]) -> AsyncIterator[None]:
    """Each piece of `work` in an asyncio task of its own, cancelled on the way out."""
    tasks = [asyncio.create_task(run(), name=name) for name, run in work.items()]
    try:
        yield
    finally:
        for task in tasks:
            task.cancel()
        for task in tasks:
            with contextlib.suppress(asyncio.CancelledError):
                await task


def _listener(service: Service) -> uvicorn.Server:
    settings = service.settings
    log.info("Chipin listening on %s (public URL %s)", settings.listen, settings.base_url)
    return uvicorn.Server(listener_config(service.asgi, settings))


def listener_config(asgi: FastAPI, settings: Settings) -> uvicorn.Config:
    """uvicorn's settings for the listener. X-Forwarded-For is believed only from
    CHIPIN_TRUSTED_PROXIES (create_app installs that), never from uvicorn's default of
    loopback."""
    return uvicorn.Config(
        asgi,
        host=settings.host,
        port=settings.port,
        log_config=None,
        access_log=False,
        proxy_headers=False,
    )


@contextlib.asynccontextmanager
async def _bot_running(service: Service) -> AsyncIterator[None]:
    """The bot takes updates (polling, or webhooks on the listener); stopped in every case."""
    bot, webhook_token = service.bot, service.webhook_token
    if bot is None:
        yield
        return
    async with bot:
        await set_commands(bot)
        await bot.start()
        if webhook_token is not None:
            await set_webhook(bot, service.settings, webhook_token)
        elif bot.updater is not None:
            await bot.updater.start_polling(poll_interval=0.0, timeout=10)
        mode = "webhook" if webhook_token else "polling"
        log.info("Telegram bot @%s is running (%s)", bot.bot.username, mode)
        # In the background (awaited when the bot stops): with many open orders it takes a
        # while, and neither the listener's webhooks nor the chats' updates wait for it.
        bot.create_task(rebuild_timers(bot), name="rebuild timers")
        try:
            yield
        finally:
            if bot.updater is not None and bot.updater.running:
                await bot.updater.stop()
            await bot.stop()
