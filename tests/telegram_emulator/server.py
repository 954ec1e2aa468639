"""Serve an `Emulator` with uvicorn on 127.0.0.1: as a task on this loop, or in its own thread."""

from __future__ import annotations

import asyncio
import socket
import threading
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager, contextmanager
from dataclasses import dataclass

import uvicorn
from starlette.types import ASGIApp

from tests.telegram_emulator.app import build_app
from tests.telegram_emulator.control import Emulator

HOST = "127.0.0.1"
START_TIMEOUT_S = 10.0


@dataclass(frozen=True, slots=True)
class Served:
    """Where a running emulator listens, and the URLs to give PTB and Chipin."""

    port: int
    token: str

    @property
    def url(self) -> str:
        return f"http://{HOST}:{self.port}"

    @property
    def bot_base_url(self) -> str:
        """For `ApplicationBuilder().base_url(...)` and TELEGRAM_BASE_URL; PTB adds the token."""
        return f"{self.url}/bot"

    @property
    def file_base_url(self) -> str:
        """For `ApplicationBuilder().base_file_url(...)`."""
        return f"{self.url}/file/bot"


def _bind(port: int) -> socket.socket:
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind((HOST, port))
    return sock


def _server(app: ASGIApp) -> uvicorn.Server:
    config = uvicorn.Config(
        app,
        host=HOST,
        log_level="warning",
        access_log=False,
        lifespan="off",
        ws="none",
        loop="asyncio",
        timeout_graceful_shutdown=2,
    )
    return uvicorn.Server(config)


async def _until_started(server: uvicorn.Server, task: asyncio.Task[None]) -> None:
    async with asyncio.timeout(START_TIMEOUT_S):
        while not server.started:
            if task.done():
                task.result()  # raises why uvicorn stopped
                raise RuntimeError("the emulator server stopped during start-up")
            await asyncio.sleep(0.01)


@asynccontextmanager
async def serve_asgi(app: ASGIApp, port: int = 0) -> AsyncIterator[int]:
    """Any ASGI app on 127.0.0.1 (port 0: a free one) until the block ends; yields the port."""
    sock = _bind(port)
    server = _server(app)
    task = asyncio.get_running_loop().create_task(server.serve(sockets=[sock]))
    try:
        await _until_started(server, task)
        yield int(sock.getsockname()[1])
    finally:
        server.should_exit = True
        await task
        sock.close()


@asynccontextmanager
async def serve(emulator: Emulator, port: int = 0) -> AsyncIterator[Served]:
    """Run the emulator on this event loop until the block ends."""
    emulator.world.updates.open()
    async with serve_asgi(build_app(emulator), port) as bound:
        try:
            yield Served(bound, emulator.token)
        finally:
            await emulator.aclose()  # ends long polls so uvicorn can stop at once


@dataclass(slots=True)
class _Thread:
    loop: asyncio.AbstractEventLoop | None = None
    stop: asyncio.Event | None = None
    served: Served | None = None
    error: BaseException | None = None


@contextmanager
def serve_in_thread(emulator: Emulator, port: int = 0) -> Iterator[Served]:
    """Run the emulator on its own loop in a thread, for sync tests; drive it with
    `EmulatorClient` (its in-process methods belong to that thread's loop)."""
    ready = threading.Event()
    state = _Thread()

    async def main() -> None:
        state.loop, state.stop = asyncio.get_running_loop(), asyncio.Event()
        try:
            async with serve(emulator, port) as served:
                state.served = served
                ready.set()
                await state.stop.wait()
        except BaseException as exc:
            state.error = exc
            ready.set()
            raise

    thread = threading.Thread(target=asyncio.run, args=(main(),), daemon=True)
    thread.start()
    ready.wait(START_TIMEOUT_S)
    if state.served is None or state.loop is None or state.stop is None:
        raise RuntimeError("the emulator thread did not start") from state.error
    try:
        yield state.served
    finally:
        state.loop.call_soon_threadsafe(state.stop.set)
        thread.join(START_TIMEOUT_S)
