"""One `chipin serve`/`run` process under test: start, SIGKILL, restart, stop, from async code."""

from __future__ import annotations

import asyncio
import subprocess
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

from tests.support.procs import chipin, kill_hard, run_chipin, spawn, stop, tail, wait_healthy


class Service:
    """A Chipin process that can be killed and started again; every start logs to one file."""

    def __init__(self, env: dict[str, str], log: Path, command: str = "serve") -> None:
        self.env = env
        self.log = log
        self.command = command
        self.kills = 0
        self.starts = 0
        self._proc: subprocess.Popen[bytes] | None = None

    @property
    def base(self) -> str:
        return f"http://{self.env['CHIPIN_LISTEN']}"

    @property
    def running(self) -> bool:
        return self._proc is not None and self._proc.poll() is None

    async def start(self) -> None:
        """Spawn the process and wait until /healthz answers 200."""
        if self.running:
            return
        proc = await asyncio.to_thread(spawn, self.env, self.log, self.command)
        self._proc = proc
        self.starts += 1
        await asyncio.to_thread(wait_healthy, self.env["CHIPIN_LISTEN"], proc, self.log, 60)

    async def kill(self) -> None:
        """SIGKILL: no shutdown code runs, whatever was in flight is cut off."""
        if self._proc is not None and self._proc.poll() is None:
            await asyncio.to_thread(kill_hard, self._proc)
            self.kills += 1

    async def stop(self) -> None:
        """SIGTERM (SIGKILL after 15 s); safe to call when it is not running."""
        if self._proc is not None:
            await asyncio.to_thread(stop, self._proc)
        self._proc = None

    async def cli(self, *args: str, env: dict[str, str] | None = None) -> str:
        """A one-off `chipin <args>` against the same settings (or `env`)."""
        return await asyncio.to_thread(chipin, env or self.env, *args)

    async def status(self) -> tuple[int, str]:
        """`chipin status`: its exit status (1 while a part fails) and what it printed."""
        done = await asyncio.to_thread(run_chipin, self.env, "status")
        return done.returncode, done.stdout

    def log_tail(self, chars: int = 4000) -> str:
        return tail(self.log, chars) if self.log.exists() else ""


@asynccontextmanager
async def service(env: dict[str, str], log: Path, command: str = "serve") -> AsyncIterator[Service]:
    """A started Service, stopped on the way out whatever happened."""
    svc = Service(env, log, command)
    try:
        await svc.start()
        yield svc
    finally:
        await svc.stop()
