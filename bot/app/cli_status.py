"""`chipin status`: the settings in force, secrets masked, and the health of each part
(database, listener, bot, gateways, outbox); `chipin wait`: until the listener answers.

`status` changes nothing: it neither migrates nor creates a database, and asks Telegram and
Stripe only questions that move no money (getMe, the balance). Its exit status is 0 when
every part is healthy and 1 otherwise, so a monitor can run it.
"""

from __future__ import annotations

import argparse
import asyncio
import sys
import time
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import httpx
from pydantic import SecretStr
from sqlalchemy import make_url
from sqlalchemy.exc import ArgumentError
from telegram import Bot
from telegram.error import InvalidToken, TelegramError

from bot.app.launch import said
from bot.app.settings import Settings
from storage.db import shown as database_shown

CHECK_TIMEOUT_S = 5.0
WAIT_POLL_S = 0.25


def add_commands(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    sub.add_parser(
        "status",
        help="the settings in force (secrets masked) and each part's health; exit 1 if one fails",
    )
    wait = sub.add_parser("wait", help="wait until the listener answers (after `chipin run &`)")
    wait.add_argument(
        "--timeout", type=float, default=60.0, help="give up after this many seconds (60)"
    )


async def run(settings: Settings, args: argparse.Namespace) -> int:
    if args.command == "wait":
        return await wait(settings, args.timeout)
    sys.stdout.write(settings_in_force(settings))
    checks = await health(settings)
    width = max(len(c.part) for c in checks)
    sys.stdout.write("health:\n")
    for c in checks:
        sys.stdout.write(f"  {c.part:<{width}}  {'ok' if c.ok else 'FAILING'}: {c.said}\n")
    return 0 if all(c.ok for c in checks) else 1


@dataclass(frozen=True, slots=True)
class Check:
    part: str
    ok: bool
    said: str


def settings_in_force(settings: Settings) -> str:
    """Every setting, by its environment name, with its value; secrets say only whether they
    are set, and a database URL's password is masked."""
    lines = ["settings in force (environment, .env, else the default):\n"]
    rows = []
    for name, field in type(settings).model_fields.items():
        alias = field.validation_alias
        if not isinstance(alias, str):
            continue
        value = getattr(settings, name)
        if isinstance(value, SecretStr) or "SecretStr" in str(field.annotation):
            secret = value.get_secret_value() if isinstance(value, SecretStr) else ""
            shown = "set (hidden)" if secret else "not set"
        elif value is None:
            shown = ""
        elif name.endswith("database_url") and value:
            shown = database_shown(str(value))
        else:
            shown = str(value)
        rows.append((alias, shown or "(empty)", name in settings.model_fields_set))
    width = max(len(r[0]) for r in rows)
    for alias, shown, given in rows:
        lines.append(f"  {alias:<{width}}  {shown}{'' if given else '  (default)'}\n")
    return "".join(lines)


async def health(settings: Settings) -> list[Check]:
    """Each part's health, in the order an operator would look: the database first."""
    database = await _database(settings)
    checks = [database, await _listener(settings), await _bot(settings)]
    checks.extend(await _gateways(settings))
    if database.ok:
        checks.append(await _outbox(settings))
    else:
        checks.append(Check("outbox", False, "unknown while the database is not ready"))
    return checks


async def _database(settings: Settings) -> Check:
    from storage.migrate import schema_state

    url = settings.database_url
    where = database_shown(url)
    try:
        parsed = make_url(url)
    except ArgumentError:
        return Check("database", False, "CHIPIN_DATABASE_URL is not a database URL")
    if parsed.drivername.startswith("sqlite"):
        path = Path(parsed.database or "")
        if not await asyncio.to_thread(path.is_file):  # connecting would make it
            return Check(
                "database", False, f"none yet at {path} (`chipin migrate` or `chipin run` makes it)"
            )
    try:
        async with asyncio.timeout(CHECK_TIMEOUT_S):
            state = await schema_state(url)
    except Exception as exc:  # any failure to reach it is the answer
        return Check("database", False, f"{where} does not answer ({type(exc).__name__})")
    if not state.at_head:
        return Check(
            "database",
            False,
            f"{where} at schema {state.current or 'none'}, this Chipin needs {state.head}: "
            "run `chipin migrate`",
        )
    return Check("database", True, f"{where}, schema {state.current} (the newest)")


async def _listener(settings: Settings) -> Check:
    url = f"{settings.local_url}/healthz"
    try:
        async with httpx.AsyncClient(timeout=CHECK_TIMEOUT_S) as client:
            answer = await client.get(url)
    except httpx.HTTPError:
        return Check("listener", False, f"nothing answers at {url}: is `chipin run` running?")
    if answer.status_code != 200:
        return Check("listener", False, f"{url} answers {answer.status_code}")
    return Check(
        "listener", True, f"answering at {settings.local_url}, links under {settings.base_url}"
    )


async def _bot(settings: Settings) -> Check:
    if settings.telegram_bot_token is None:
        return Check("bot", True, "off (no TELEGRAM_BOT_TOKEN)")
    token = settings.telegram_bot_token.get_secret_value()
    base = settings.telegram_base_url
    bot = Bot(token, base_url=base.rstrip("/")) if base else Bot(token)
    try:
        async with asyncio.timeout(CHECK_TIMEOUT_S):
            me = await bot.get_me()
    except InvalidToken:
        return Check("bot", False, "Telegram rejects TELEGRAM_BOT_TOKEN: check it with @BotFather")
    except (TelegramError, TimeoutError) as exc:
        return Check("bot", False, f"Telegram does not answer ({said(exc, token)})")
    finally:
        await bot.shutdown()
    return Check("bot", True, f"@{me.username} answers; `chipin run` runs it")


async def _gateways(settings: Settings) -> list[Check]:
    checks = []
    for name in settings.enabled_gateways:
        if name == "sandbox":
            checks.append(Check("sandbox", True, "embedded: test money only, no real money moves"))
        elif name == "telegram":
            what = "Telegram Stars" if not settings.provider_token() else "a payment provider"
            checks.append(Check("telegram", True, f"payments inside Telegram, through {what}"))
        elif name == "stripe":
            checks.append(await _stripe(settings))
    return checks


async def _stripe(settings: Settings) -> Check:
    import stripe

    key = settings.stripe_secret("api")
    base = settings.stripe_api_base.rstrip("/")
    client = stripe.StripeClient(key, base_addresses={"api": base} if base else None)
    mode = "test mode" if "_test_" in key else "live mode"
    try:
        async with asyncio.timeout(CHECK_TIMEOUT_S):
            await client.v1.balance.retrieve_async()
    except stripe.AuthenticationError:
        return Check("stripe", False, "Stripe rejects STRIPE_API_KEY")
    except (stripe.StripeError, TimeoutError) as exc:
        return Check("stripe", False, f"Stripe does not answer ({type(exc).__name__})")
    connect = "on" if settings.stripe_secret("connect") else "off"
    return Check("stripe", True, f"answers ({mode}); Connect {connect}")


async def _outbox(settings: Settings) -> Check:
    """The outbox's depth, read with a query of its own: no key, no write."""
    from sqlalchemy import pool

    from storage.db import make_engine
    from storage.repos.outbox import outbox_depth

    engine = make_engine(settings.database_url, poolclass=pool.NullPool)
    try:
        async with engine.connect() as conn:
            depth = await outbox_depth(conn)
    finally:
        await engine.dispose()
    age = depth.age_s(datetime.now(UTC))
    said = (
        f"{depth.events} events to relay, {depth.letters} messages to send, "
        f"{depth.held} held for /start; oldest waiting {age:.0f} s"
    )
    return Check("outbox", age < OUTBOX_STALE_S, said)


#: An outbox row older than this means messages are not going out (Telegram, or no bot).
OUTBOX_STALE_S = 300.0


async def wait(settings: Settings, timeout_s: float) -> int:
    """Return once GET /healthz answers 200 on the listener, or give up after `timeout_s`."""
    url = f"{settings.local_url}/healthz"
    deadline = time.monotonic() + timeout_s
    async with httpx.AsyncClient(timeout=2.0) as client:
        while True:
            try:
                if (await client.get(url)).status_code == 200:
                    sys.stdout.write(f"Chipin answers at {settings.base_url}\n")
                    return 0
            except httpx.HTTPError:
                pass
            if time.monotonic() >= deadline:
                sys.stderr.write(
                    f"chipin: nothing answered at {url} within {timeout_s:g} s; is `chipin run` "
                    "running? Its log says why it stopped\n"
                )
                return 1
            await asyncio.sleep(WAIT_POLL_S)
