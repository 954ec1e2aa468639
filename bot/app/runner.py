"""Runs a bootstrapped Service in one event loop: the listener, the bot, the jobs, deliveries."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator

import uvicorn
from fastapi import FastAPI

from bot.app.bootstrap import bootstrap
from bot.app.jobs import looping
from bot.app.service import Service
from bot.app.settings import Settings
from bot.app.webhook import set_webhook
from bot.chat.application import outbox_running, rebuild_timers, set_commands

log = logging.getLogger(__name__)


async def serve(settings: Settings, *, with_bot: bool) -> None:
    """Serve until SIGINT/SIGTERM, then stop the background work cleanly."""
    if not with_bot and "telegram" in settings.enabled_gateways:
        log.warning("Telegram Payments need the bot: Stars refunds wait until `chipin run`")
    service = await bootstrap(settings, bot=with_bot)
    async with service:
        delivery = asyncio.create_task(service.sandbox.run_delivery())
        try:
            jobs = looping(service.jobs) if service.bot is None else contextlib.nullcontext()
            async with jobs, _bot_running(service):
                await _listener(service).serve()
        finally:
            delivery.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await delivery


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
    """The bot takes updates (polling, or webhooks on the listener); stopped in every case.
    Its JobQueue runs the service's jobs."""
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
            async with outbox_running(bot):
                yield
        finally:
            if bot.updater is not None and bot.updater.running:
                await bot.updater.stop()
            await bot.stop()
