"""Runs Chipin in one event loop: the listener, the bot, the engine's timers, webhook deliveries."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator, Awaitable, Callable

import uvicorn
from fastapi import FastAPI
from starlette.routing import BaseRoute
from telegram.ext import Application

from bot.app.bootstrap import App, build
from bot.app.settings import Settings
from bot.app.webhook import set_webhook, webhook_enabled, webhook_routes, webhook_secret
from bot.chat.application import build_application, build_bot, rebuild_timers, start_services
from bot.chat.notify import QueueNotifier
from bot.chat.pay.payments import StarRefunder
from storage.memory_dialogs import MemoryDialogStore
from trust.receipts import ReceiptWriter
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


async def serve(settings: Settings, *, with_bot: bool) -> None:
    """Serve until SIGINT/SIGTERM, then stop the background work cleanly."""
    notifier = QueueNotifier()
    client = build_bot(settings) if with_bot and settings.telegram_bot_token else None
    # Stars are refunded through the bot: its client is built first, for the gateway
    refunds = StarRefunder(client) if client is not None else None
    app = await build(settings, notifier, star_refunds=refunds)
    bot = None
    if with_bot and client is None:
        log.warning(BOT_OFF)
    elif app.telegram is not None and not with_bot:
        log.warning("Telegram Payments need the bot: Stars refunds wait until `chipin run`")
    elif client is not None:
        chain = app.chain_pem
        bot = build_application(
            client,
            settings,
            app.engine,
            dialogs=MemoryDialogStore(),
            invoices=app.telegram,
            receipts=ReceiptWriter(chain) if chain is not None else None,
        )
        notifier.attach(bot.update_queue)
    hook = webhook_secret(app.secret) if bot is not None and webhook_enabled(settings) else None
    if bot is not None and settings.telegram_webhook and hook is None:
        log.warning("TELEGRAM_WEBHOOK=1 needs an https CHIPIN_PUBLIC_URL; using polling instead")
    await app.start()
    tasks = [
        asyncio.create_task(app.sandbox.run_delivery()),
        # A signed tree head whenever the ledger grew: tampering shows against the last one.
        asyncio.create_task(every(settings.head_s, "sign ledger head", app.engine.sign_head)),
    ]
    if bot is None:  # with the bot, these run on its JobQueue
        tasks.append(asyncio.create_task(every(settings.tick_s, "tick", app.engine.tick)))
        tasks.append(
            asyncio.create_task(every(settings.reconcile_s, "reconcile", app.engine.reconcile))
        )
    try:
        routes = webhook_routes(bot, hook) if bot is not None and hook else []
        async with _bot_running(bot, hook, settings):
            await _listener(app, routes).serve()
    finally:
        for task in tasks:
            task.cancel()
        for task in tasks:
            with contextlib.suppress(asyncio.CancelledError):
                await task
        await app.close()


def _listener(app: App, bot_routes: list[BaseRoute]) -> uvicorn.Server:
    settings = app.settings
    asgi = create_app(
        app.engine,
        public_base_url=settings.base_url,
        health=app.healthy,
        extra_routes=[*bot_routes, *app.sandbox.routes()],
        max_amount_minor=settings.max_amount_minor(),
        default_currency=settings.currency,
        chain_pem=app.chain_pem,
        trusted_proxies=settings.trusted_proxy_list,
    )
    log.info("Chipin listening on %s (public URL %s)", settings.listen, settings.base_url)
    return uvicorn.Server(listener_config(asgi, settings))


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
async def _bot_running(
    bot: Application | None,  # type: ignore[type-arg]
    webhook_token: str | None,
    settings: Settings,
) -> AsyncIterator[None]:
    """The bot takes updates (polling, or webhooks on the listener); stopped in every case."""
    if bot is None:
        yield
        return
    async with bot:
        await start_services(bot)
        await bot.start()
        if webhook_token is not None:
            await set_webhook(bot, settings, webhook_token)
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
