"""Runs a bootstrapped Service in one event loop: the listener, the bot, the jobs, deliveries.

Everything but the bot starts at once and does not wait for Telegram: the listener (REST
API, gateway webhooks, settlement) and the background work (`background`). The bot comes
up beside them, trying again while Telegram cannot be reached (bot.app.launch).
"""

from __future__ import annotations

import asyncio
import contextlib
import errno
import logging
import signal
import socket
import sys
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
from bot.app.settings import Refused, Settings
from bot.app.welcome import banner, welcome
from web.pages.home import Welcome
from web.pages.home import routes as home_routes

log = logging.getLogger(__name__)

Work = Callable[[], Coroutine[Any, Any, None]]  # one piece of background work, run until cancelled


async def serve(settings: Settings, *, with_bot: bool) -> None:
    """Serve until SIGINT/SIGTERM, then stop the bot, the background work and the service,
    in that order. Raises bot.app.launch.BotRefused when Telegram refuses the bot, and
    PortUnavailable, before anything else is done, when the listener's port cannot be had."""
    if not with_bot and "telegram" in settings.enabled_gateways:
        log.warning("Telegram Payments need the bot: Stars refunds wait until `chipin run`")
    sock = bind(settings)
    try:
        service = await bootstrap(settings, bot=with_bot)
        async with service:
            facts = welcome(settings, service.bot, with_bot=with_bot)
            service.asgi.router.routes.extend(home_routes(facts))
            listener = Listener(listener_config(service.asgi, settings), facts)
            async with _running(background(service)), bot_running(service, listener.stop):
                await listener.serve(sockets=[sock])
    finally:
        sock.close()


class PortUnavailable(Refused):
    """The listener cannot have CHIPIN_LISTEN's address: one line says why and what to do."""


def bind(settings: Settings) -> socket.socket:
    """The listener's socket, bound before anything else starts: an address in use (another
    Chipin?) stops Chipin in one line, before it touches the database or Telegram."""
    host, port = settings.host.strip("[]"), settings.port
    try:
        family, kind, proto, _, address = socket.getaddrinfo(
            host, port, type=socket.SOCK_STREAM, flags=socket.AI_PASSIVE
        )[0]
    except socket.gaierror as exc:
        raise PortUnavailable(
            f"CHIPIN_LISTEN={settings.listen}: no such host here ({exc.strerror}); use an "
            "address of this machine, e.g. 127.0.0.1 (this machine only) or 0.0.0.0 (every "
            "interface)"
        ) from None
    sock = socket.socket(family, kind, proto)
    try:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind(address)
        sock.listen(2048)  # uvicorn's default backlog
        sock.set_inheritable(True)
    except OSError as exc:
        sock.close()
        raise PortUnavailable(_bind_refusal(settings, exc)) from None
    return sock


def _bind_refusal(settings: Settings, exc: OSError) -> str:
    where = f"CHIPIN_LISTEN={settings.listen}"
    if exc.errno == errno.EADDRINUSE:
        return (
            f"{where}: the port is in use (another Chipin still running?); stop what listens "
            f"there, or set CHIPIN_LISTEN to a free port"
        )
    if exc.errno == errno.EACCES:
        return f"{where}: not allowed to listen there (ports under 1024 need root); use 8080"
    if exc.errno == errno.EADDRNOTAVAIL:
        return f"{where}: no interface of this machine has that address; use 127.0.0.1 or 0.0.0.0"
    return f"{where}: cannot listen there ({exc.strerror})"


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
    """uvicorn, except that SIGINT and SIGTERM only stop it, and that it says what to do
    next once it serves. uvicorn itself raises the signal again once it has stopped, which
    kills the process (SIGTERM) or cancels the runner (SIGINT) before the bot, the
    background work and the store are closed."""

    def __init__(self, config: uvicorn.Config, facts: Welcome) -> None:
        super().__init__(config)
        self.facts = facts

    async def startup(self, sockets: list[socket.socket] | None = None) -> None:
        await super().startup(sockets)
        if self.started:
            log.info("Chipin listening on %s:%s", self.config.host, self.config.port)
            sys.stdout.write(banner(self.facts))
            sys.stdout.flush()

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
