"""Runs a bootstrapped Service in one event loop: the listener, the bot, the jobs, deliveries.

Everything but the bot starts at once and does not wait for Telegram: the listener (REST
API, gateway webhooks, settlement) and the background work (`background`). The bot comes
up beside them, trying again while Telegram cannot be reached (bot.app.launch).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import signal
import threading
from collections.abc import AsyncIterator, Callable, Coroutine, Iterator, Mapping
from functools import partial
from typing import Any

import uvicorn
from fastapi import FastAPI
from uvicorn.server import HANDLED_SIGNALS

from bot.app.bootstrap import bootstrap
from bot.app.jobs import every
from bot.app.launch import bot_running
from bot.app.service import Service
from bot.app.settings import Settings

log = logging.getLogger(__name__)

Work = Callable[[], Coroutine[Any, Any, None]]  # one piece of background work, run until cancelled


async def serve(settings: Settings, *, with_bot: bool) -> None:
    """Serve until SIGINT/SIGTERM, then stop the bot, the background work and the service,
    in that order. Raises bot.app.launch.BotRefused when Telegram refuses the bot."""
    if not with_bot and "telegram" in settings.enabled_gateways:
        log.warning("Telegram Payments need the bot: Stars refunds wait until `chipin run`")
    service = await bootstrap(settings, bot=with_bot)
    async with service:
        listener = _listener(service)
        async with _running(background(service)), bot_running(service, listener.stop):
            await listener.serve()


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


class Listener(uvicorn.Server):
    """uvicorn, except that SIGINT and SIGTERM only stop it. uvicorn itself raises the signal
    again once it has stopped, which kills the process (SIGTERM) or cancels the runner
    (SIGINT) before the bot, the background work and the store are closed."""

    def stop(self) -> None:
        """Stop serving, as a signal would (the bot asks this when it cannot start)."""
        self.should_exit = True

    @contextlib.contextmanager
    def capture_signals(self) -> Iterator[None]:
        if threading.current_thread() is not threading.main_thread():
            yield
            return
        previous = {sig: signal.signal(sig, self.handle_exit) for sig in HANDLED_SIGNALS}
        try:
            yield
        finally:
            for sig, handler in previous.items():
                signal.signal(sig, handler)


def _listener(service: Service) -> Listener:
    settings = service.settings
    log.info("Chipin listening on %s (public URL %s)", settings.listen, settings.base_url)
    return Listener(listener_config(service.asgi, settings))


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
