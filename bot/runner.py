"""Runs Chipin in one event loop: the listener, the engine's timers and webhook deliveries."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable

import uvicorn

from bot.wiring import App
from web.app import create_app

log = logging.getLogger(__name__)

BOT_OFF = (
    "The Telegram bot is off: TELEGRAM_BOT_TOKEN is not set. The listener and the REST API "
    "run alone. To turn the bot on, create a bot with @BotFather, put its token in "
    "TELEGRAM_BOT_TOKEN (environment or .env) and start again."
)


async def every(seconds: float, name: str, job: Callable[[], Awaitable[object]]) -> None:
    """Run `job` now and then every `seconds`; a failing pass is logged and the loop goes on."""
    while True:
        try:
            await job()
        except Exception:
            log.exception("%s pass failed; retrying in %.0f s", name, seconds)
        await asyncio.sleep(seconds)


async def serve(app: App, *, with_bot: bool) -> None:
    """Serve until SIGINT/SIGTERM, then stop the background work cleanly."""
    settings = app.settings
    if with_bot and settings.telegram_bot_token is None:
        log.warning(BOT_OFF)
    elif with_bot:
        log.warning("TELEGRAM_BOT_TOKEN is set, but this build has no bot interface yet")
    await app.start()
    asgi = create_app(
        app.engine,
        public_base_url=settings.base_url,
        health=app.healthy,
        extra_routes=app.sandbox.routes(),
        max_amount_minor=settings.max_amount_minor(),
        default_currency=settings.currency,
    )
    config = uvicorn.Config(
        asgi, host=settings.host, port=settings.port, log_config=None, access_log=False
    )
    server = uvicorn.Server(config)
    tasks = [
        asyncio.create_task(every(settings.tick_s, "tick", app.engine.tick)),
        asyncio.create_task(every(settings.reconcile_s, "reconcile", app.engine.reconcile)),
        asyncio.create_task(app.sandbox.run_delivery()),
    ]
    log.info("Chipin listening on %s (public URL %s)", settings.listen, settings.base_url)
    try:
        await server.serve()
    finally:
        for task in tasks:
            task.cancel()
        for task in tasks:
            with contextlib.suppress(asyncio.CancelledError):
                await task
        await app.close()
