"""Runs `chipin` as real processes on 127.0.0.1 for end-to-end tests, and stops them by itself."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


def chipin_env(tmp: Path, port: int, **extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("CHIPIN_", "TELEGRAM_"))}
    env.update(
        CHIPIN_DATA_DIR=str(tmp),
        CHIPIN_DATABASE_URL=f"sqlite+aiosqlite:///{tmp / 'chipin.db'}",
        CHIPIN_LISTEN=f"127.0.0.1:{port}",
        CHIPIN_TICK_S="0.5",
        CHIPIN_PASSWORD_COST="10",
        CHIPIN_LOG_LEVEL="INFO",
    )
    env.update(extra)
    return env


def run_chipin(env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    """Run one `chipin` command to completion, whatever its exit status."""
    return subprocess.run(
        [sys.executable, "-m", "bot.app.cli", *args],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


def chipin(env: dict[str, str], *args: str) -> str:
    """Run one `chipin` command to completion and return what it printed."""
    done = run_chipin(env, *args)
    if done.returncode != 0:
        raise AssertionError(f"chipin {' '.join(args)} failed: {done.stderr[-2000:]}")
    return done.stdout


def api_key(env: dict[str, str], payee: str) -> str:
    out = chipin(env, "apikey", "create", "--payee", payee)
    line = next(ln for ln in out.splitlines() if ln.startswith("api key "))
    return line.removeprefix("api key ").strip()


@contextmanager
def serving(
    env: dict[str, str], log: Path, command: str = "serve"
) -> Iterator[subprocess.Popen[bytes]]:
    """`chipin serve` in the background until healthy; killed on exit whatever happens."""
    proc = spawn(env, log, command)
    try:
        wait_healthy(env["CHIPIN_LISTEN"], proc, log)
        yield proc
    finally:
        stop(proc)


def wait_healthy(
    listen: str, proc: subprocess.Popen[bytes], log: Path, timeout_s: float = 30
) -> None:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise AssertionError(f"chipin exited early:\n{log.read_text()[-3000:]}")
        try:
            if httpx.get(f"http://{listen}/healthz", timeout=1).status_code == 200:
                return
        except httpx.TransportError:
            pass
        time.sleep(0.1)
    raise AssertionError(f"chipin did not become healthy:\n{log.read_text()[-3000:]}")


def kill_hard(proc: subprocess.Popen[bytes]) -> None:
    proc.send_signal(signal.SIGKILL)
    proc.wait(timeout=10)


def spawn(env: dict[str, str], log: Path, command: str = "run") -> subprocess.Popen[bytes]:
    """Start `chipin <command>` in the background, its output appended to `log`."""
    with log.open("ab") as out:
        return subprocess.Popen(
            [sys.executable, "-m", "bot.app.cli", command],
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
        )


def stop(proc: subprocess.Popen[bytes]) -> None:
    """SIGTERM, then SIGKILL if it does not stop within 15 s."""
    if proc.poll() is None:
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(timeout=10)


def tail(log: Path, chars: int = 3000) -> str:
    return log.read_text(errors="replace")[-chars:]
