"""`chipin run` in another process, polling the Bot API emulator in this one."""

from __future__ import annotations

import asyncio
import os
import sys
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path

from tests.support.procs import chipin, chipin_env, free_port, spawn, stop, tail, wait_healthy
from tests.telegram_emulator import Emulator, serve


@dataclass(frozen=True, slots=True)
class BotRun:
    emu: Emulator
    base: str  # Chipin's listener, http://127.0.0.1:<port>
    env: dict[str, str]
    log: Path


@asynccontextmanager
async def bot_running(tmp_path: Path, **settings: str) -> AsyncIterator[BotRun]:
    """Migrated, healthy and polling (its first getUpdates made); stopped on exit, and its
    log must not hold the bot token. CHIPIN_E2E_LOG=1 prints the log to stderr."""
    emu = Emulator()
    async with serve(emu) as served:
        port = free_port()
        env = chipin_env(
            tmp_path,
            port,
            TELEGRAM_BOT_TOKEN=emu.token,
            TELEGRAM_BASE_URL=served.bot_base_url,
            **settings,
        )
        log = tmp_path / "bot.log"
        await asyncio.to_thread(chipin, env, "migrate")
        proc = await asyncio.to_thread(spawn, env, log)
        try:
            await asyncio.to_thread(wait_healthy, f"127.0.0.1:{port}", proc, log)
            await emu.wait_for(lambda: emu.world.stats.calls["getUpdates"] > 0, timeout_s=10)
            yield BotRun(emu, f"http://127.0.0.1:{port}", env, log)
        finally:
            await asyncio.to_thread(stop, proc)
            if os.environ.get("CHIPIN_E2E_LOG"):  # the whole log, to read a run through
                sys.stderr.write(await asyncio.to_thread(tail, log, 100_000))
        assert emu.token not in await asyncio.to_thread(tail, log, 10**7)
