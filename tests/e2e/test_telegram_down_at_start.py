"""End to end: `chipin run` starts while Telegram cannot be reached. The listener, the
gateway webhooks, settlement and the periodic jobs run at once; the bot keeps trying with
backoff, says so once, and comes up when Telegram answers. A signal while it still tries
stops Chipin cleanly at once, and a token Telegram rejects stops it in one line.

"Unreachable" is the emulator's port with nothing listening on it yet: every connection is
refused, as when the network or Telegram is down.
"""

from __future__ import annotations

import asyncio
import signal
import sqlite3
import subprocess
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest

from bot.app.launch import UNREACHABLE
from tests.support.procs import (
    api_key,
    chipin,
    chipin_env,
    free_port,
    spawn,
    stop,
    tail,
    wait_healthy,
)
from tests.telegram_emulator import Emulator, serve

pytestmark = pytest.mark.slow

RUNNING = "is running (polling) after"


@dataclass(frozen=True, slots=True)
class Started:
    proc: subprocess.Popen[bytes]
    base: str  # Chipin's listener
    key: str | None  # the payee's API key, when one was asked for
    log: Path
    telegram_port: int  # where TELEGRAM_BASE_URL points


@asynccontextmanager
async def chipin_run(
    tmp_path: Path,
    token: str,
    telegram_port: int | None = None,
    *,
    healthy: bool = True,
    payee: str | None = None,
) -> AsyncIterator[Started]:
    """`chipin run` with TELEGRAM_BASE_URL on `telegram_port` (by default a port nobody
    listens on, yet), and an API key for `payee` made before it starts; stopped with SIGTERM
    on the way out if it still runs, and its log must not hold the token."""
    telegram_port, port = telegram_port or free_port(), free_port()
    env = chipin_env(
        tmp_path,
        port,
        TELEGRAM_BOT_TOKEN=token,
        TELEGRAM_BASE_URL=f"http://127.0.0.1:{telegram_port}/bot",
        CHIPIN_HEAD_S="0.5",
    )
    log = tmp_path / "run.log"
    await asyncio.to_thread(chipin, env, "migrate")
    key = None if payee is None else await asyncio.to_thread(api_key, env, payee)
    proc = await asyncio.to_thread(spawn, env, log)
    try:
        if healthy:
            await asyncio.to_thread(wait_healthy, f"127.0.0.1:{port}", proc, log)
        yield Started(proc, f"http://127.0.0.1:{port}", key, log, telegram_port)
    finally:
        await asyncio.to_thread(stop, proc)
    assert token not in await asyncio.to_thread(tail, log, 10**7)


async def logged(run: Started, text: str, timeout_s: float = 10.0) -> str:
    """The whole log once it holds `text`."""
    deadline = time.monotonic() + timeout_s
    while text not in (log := await asyncio.to_thread(tail, run.log, 10**7)):
        assert run.proc.poll() is None, f"chipin exited:\n{log[-3000:]}"
        assert time.monotonic() < deadline, f"{text!r} not in the log:\n{log[-3000:]}"
        await asyncio.sleep(0.05)
    return log


def heads_caught_up(db: Path) -> bool:
    """A signed head covers the whole ledger, which is not empty."""
    with sqlite3.connect(db) as conn:
        (entries,) = conn.execute("SELECT count(*) FROM ledger_entries").fetchone()
        (signed,) = conn.execute("SELECT coalesce(max(tree_size), 0) FROM ledger_heads").fetchone()
    return bool(entries) and signed == entries


async def pay_one_part_order(base: str, key: str) -> None:
    """An order of one part over the REST API, paid on the sandbox's page; its webhook
    settles it, and the order completes."""
    async with httpx.AsyncClient(base_url=base, timeout=10) as http:
        auth = {"Authorization": f"Bearer {key}"}
        made = await http.post("/api/v1/orders", json={"total": "12", "payers": 1}, headers=auth)
        assert made.status_code == 201, made.text
        order = made.json()
        token = str(order["pay_url"]).rstrip("/").rsplit("/", 1)[1]
        held = await http.post(f"/api/v1/pay/{token}/reserve", json={"payer": "ann"})
        assert held.status_code in (200, 201), held.text
        paid = await http.post(f"{held.json()['checkout_url']}/pay", follow_redirects=True)
        assert paid.status_code == 200, paid.text
        deadline = time.monotonic() + 15
        while (now := await http.get(f"/api/v1/orders/{order['id']}", headers=auth)).json()[
            "state"
        ] != "completed":
            assert time.monotonic() < deadline, now.text
            await asyncio.sleep(0.1)


async def test_with_telegram_down_at_start_the_api_webhooks_and_jobs_run_and_the_bot_comes_up_later(
    tmp_path: Path,
) -> None:
    emu = Emulator()
    async with chipin_run(tmp_path, emu.token, payee="Ann") as run:
        await logged(run, UNREACHABLE)
        assert run.key is not None
        await pay_one_part_order(run.base, run.key)
        deadline = time.monotonic() + 10  # the head-signing job, every 0.5 s, bot or no bot
        while not await asyncio.to_thread(heads_caught_up, tmp_path / "chipin.db"):
            assert time.monotonic() < deadline, "no head signed for the grown ledger"
            await asyncio.sleep(0.1)
        assert RUNNING not in await asyncio.to_thread(tail, run.log, 10**7)

        async with serve(emu, run.telegram_port):
            # the next try comes at most 60 s after the last (the tries so far: about 1, 3, 7 s)
            await logged(run, RUNNING, timeout_s=70)
            calls = emu.world.stats.calls
            assert calls["getMe"] == 1
            assert calls["setMyCommands"] == 2  # the menu in both languages
            await emu.wait_for(lambda: emu.world.stats.calls["getUpdates"] > 0, timeout_s=10)
            assert await emu.commands() != []
            await asyncio.to_thread(stop, run.proc)
        assert run.proc.returncode == 0
    log = await asyncio.to_thread(tail, run.log, 10**7)
    assert log.count(UNREACHABLE) == 1
    [up] = [line for line in log.splitlines() if RUNNING in line]
    assert int(up.rsplit(" after ", 1)[1].split()[0]) >= 2
    assert "Traceback" not in log


@pytest.mark.parametrize("sig", [signal.SIGINT, signal.SIGTERM], ids=["SIGINT", "SIGTERM"])
async def test_a_signal_while_the_bot_still_tries_stops_chipin_cleanly_at_once(
    tmp_path: Path, sig: signal.Signals
) -> None:
    async with chipin_run(tmp_path, Emulator().token) as run:
        await logged(run, UNREACHABLE)
        await asyncio.sleep(0.3)  # into the first wait, 1 s long
        asked = time.monotonic()
        run.proc.send_signal(sig)
        code = await asyncio.to_thread(run.proc.wait, 10)
        took_s = time.monotonic() - asked
    log = await asyncio.to_thread(tail, run.log, 10**7)
    assert code == 0, log[-3000:]
    assert took_s < 5.0  # far from SIGTERM's 15 s grace (tests/bot/test_launch.py: the wait is cut)
    assert "Finished server process" in log
    assert "Application is stopping" not in log  # a bot that never started is not stopped
    assert log.count(UNREACHABLE) == 1
    assert " ERROR " not in log
    assert "Traceback" not in log


async def test_a_token_telegram_rejects_stops_chipin_in_one_line_without_the_token(
    tmp_path: Path,
) -> None:
    rejected = "4242:not-this-bots-token"
    async with (
        serve(Emulator()) as served,
        chipin_run(tmp_path, rejected, served.port, healthy=False) as run,
    ):
        code = await asyncio.to_thread(run.proc.wait, 30)  # start-up, then one getMe
    log = await asyncio.to_thread(tail, run.log, 10**7)
    assert code == 2, log[-3000:]
    assert log.splitlines()[-1] == (
        "chipin: bad setting TELEGRAM_BOT_TOKEN: Telegram rejects it (InvalidToken: "
        "Unauthorized); check the token @BotFather gave, and TELEGRAM_BASE_URL if it is set"
    )
    assert UNREACHABLE not in log
    assert "Traceback" not in log
