"""The bot's launch does not hold Chipin up: while Telegram cannot be reached it tries again
with backoff, says so once, and comes up when Telegram answers; a token Telegram rejects
stops Chipin in one line; shutting down while it still tries leaves nothing running.

In process, over the emulator (tests/support/offline_api.py) with short waits; the same
over real processes is tests/e2e/test_telegram_down_at_start.py.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from datetime import timedelta
from pathlib import Path

import pytest
from telegram.error import (
    BadRequest,
    Conflict,
    Forbidden,
    InvalidToken,
    NetworkError,
    RetryAfter,
    TelegramError,
    TimedOut,
)

from bot.app.bootstrap import bootstrap
from bot.app.launch import UNREACHABLE, Backoff, BotRefused, bot_running, unreachable
from bot.app.service import Service
from bot.app.settings import Settings
from tests.support.backends import copy_sqlite
from tests.support.offline_api import TOKEN, Fault, OfflineBotApi

FAST = Backoff(first_s=0.01, cap_s=0.04)
RUNNING = "Telegram bot @ChipinTestBot is running (polling) after"


class ClosingApi(OfflineBotApi):
    """The offline Bot API, remembering whether the bot closed its connections."""

    closed = False

    async def shutdown(self) -> None:
        self.closed = True
        await super().shutdown()


def _settings(tmp_path: Path, sqlite_template: Path, token: str = TOKEN) -> Settings:
    return Settings.model_validate(
        {
            "CHIPIN_DATA_DIR": tmp_path,
            "CHIPIN_DATABASE_URL": copy_sqlite(sqlite_template, tmp_path),
            "TELEGRAM_BOT_TOKEN": token,
        }
    )


@asynccontextmanager
async def service_over(
    api: OfflineBotApi, tmp_path: Path, sqlite_template: Path, token: str = TOKEN
) -> AsyncIterator[Service]:
    settings = _settings(tmp_path, sqlite_template, token)
    async with await bootstrap(settings, bot=True, request=api) as service:
        assert service.bot is not None
        yield service


async def until(check: Callable[[], object], timeout_s: float = 5.0) -> None:
    deadline = time.monotonic() + timeout_s
    while not check():
        assert time.monotonic() < deadline, "condition not reached in time"
        await asyncio.sleep(0.01)


def never() -> None:
    raise AssertionError("the listener was asked to stop")


def lines(caplog: pytest.LogCaptureFixture, text: str) -> list[logging.LogRecord]:
    return [r for r in caplog.records if text in r.getMessage()]


async def test_while_telegram_answers_502_the_bot_retries_says_so_once_and_polls_once_it_answers(
    tmp_path: Path, sqlite_template: Path, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO, logger="bot.app.launch")
    api = OfflineBotApi()
    await api.emulator.set_outage(502)
    async with service_over(api, tmp_path, sqlite_template) as service:
        app = service.bot
        assert app is not None
        async with bot_running(service, never, FAST):
            await until(lambda: len(api.of("getMe")) >= 4)
            assert not app.running
            await api.emulator.set_outage(None)
            await until(lambda: lines(caplog, RUNNING))
            assert app.running
            assert app.updater is not None
            assert app.updater.running
            assert [c.status for c in api.of("setMyCommands")][-2:] == [200, 200]  # 2 languages
        assert not app.running
    [warning] = lines(caplog, UNREACHABLE)
    assert warning.levelno == logging.WARNING
    assert "Bad Gateway" in warning.getMessage()
    [up] = lines(caplog, RUNNING)
    assert up.levelno == logging.INFO
    assert int(up.getMessage().split(" after ")[1].split()[0]) == len(api.of("getMe")) >= 5
    assert TOKEN not in caplog.text


async def test_a_failure_after_the_bot_started_stops_it_and_the_next_try_starts_it_again(
    tmp_path: Path, sqlite_template: Path, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO, logger="bot.app.launch")
    api = OfflineBotApi()
    api.faults.append(Fault("deleteWebhook", 502, "Bad Gateway"))  # start_polling's first call
    async with service_over(api, tmp_path, sqlite_template) as service:
        app = service.bot
        assert app is not None
        async with bot_running(service, never, FAST):
            await until(lambda: lines(caplog, RUNNING))
            assert app.running
            assert app.updater is not None
            assert app.updater.running
        assert not app.running
    assert [c.status for c in api.of("deleteWebhook")] == [502, 200]
    assert len(lines(caplog, UNREACHABLE)) == 1
    assert len(lines(caplog, f"{RUNNING} 2 tries")) == 1


async def test_shutting_down_while_the_bot_retries_cancels_the_wait_and_closes_its_client(
    tmp_path: Path, sqlite_template: Path
) -> None:
    api = ClosingApi()
    await api.emulator.set_outage(502)
    async with service_over(api, tmp_path, sqlite_template) as service:
        app = service.bot
        assert app is not None
        async with bot_running(service, never, Backoff(first_s=30.0)):
            await until(lambda: api.of("getMe"))
            started = time.monotonic()
        took_s = time.monotonic() - started
        tries = len(api.of("getMe"))
        await asyncio.sleep(0.05)
        assert len(api.of("getMe")) == tries == 1
        assert not app.running
        assert api.closed
    assert took_s < 1.0


async def test_a_token_telegram_rejects_stops_the_listener_and_names_the_setting_in_one_line(
    tmp_path: Path, sqlite_template: Path
) -> None:
    api = ClosingApi()
    rejected = "654321:not-the-bots-token"
    stopped = asyncio.Event()
    async with service_over(api, tmp_path, sqlite_template, rejected) as service:
        with pytest.raises(BotRefused) as refused:
            async with bot_running(service, stopped.set, FAST):
                await asyncio.wait_for(stopped.wait(), 5)
    said = str(refused.value)
    assert said.startswith(
        "bad setting TELEGRAM_BOT_TOKEN: Telegram rejects it (InvalidToken: Unauthorized)"
    )
    assert "\n" not in said
    assert "not-the-bots-token" not in said
    assert refused.value.__cause__ is None  # PTB's error, whose message holds the token
    assert refused.value.__suppress_context__
    assert [c.status for c in api.calls] == [401]  # no second try
    assert api.closed


@pytest.mark.parametrize(
    ("error", "retried"),
    [  # made in the test, where PTB_TIMEDELTA is set (tests/bot/conftest.py)
        (lambda: NetworkError("httpx.ConnectError: All connection attempts failed"), True),
        (lambda: NetworkError("Bad Gateway"), True),  # PTB's error for a 5xx answer
        (TimedOut, True),
        (lambda: RetryAfter(timedelta(seconds=3)), True),
        (lambda: BadRequest("Bad Request: chat not found"), False),  # a NetworkError too
        (InvalidToken, False),
        (lambda: Forbidden("Forbidden: bot was blocked"), False),
        (lambda: Conflict("Conflict: terminated by other getUpdates request"), False),
    ],
)
def test_only_errors_that_waiting_may_cure_count_as_unreachable(
    error: Callable[[], TelegramError], retried: bool
) -> None:
    assert unreachable(error()) is retried


def test_the_wait_doubles_from_1_s_to_60_s_and_jitter_only_shortens_it() -> None:
    backoff = Backoff()
    longest = [backoff.delay_s(n, uniform=lambda low, high: high) for n in range(1, 10)]
    assert longest == [1, 2, 4, 8, 16, 32, 60, 60, 60]
    assert backoff.delay_s(3, uniform=lambda low, high: low) == pytest.approx(3.6)
    assert backoff.delay_s(10**6, uniform=lambda low, high: high) == 60  # no overflow
    assert all(0.9 <= backoff.delay_s(1) <= 1.0 for _ in range(100))
