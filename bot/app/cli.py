"""The `chipin` command: run, serve, migrate, apikey create, codes print, the trust commands."""

from __future__ import annotations

import argparse
import asyncio
import logging
import os
import sys
from collections.abc import Callable

from pydantic import ValidationError

from bot.app import cli_codes, cli_statements, cli_trust
from bot.app.settings import Settings

log = logging.getLogger("chipin")


def _parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="chipin", description="Chipin: one QR code, many payers.")
    sub = p.add_subparsers(dest="command", required=True)
    sub.add_parser("run", help="run everything: listener, engine and (with a token) the bot")
    sub.add_parser("serve", help="run the listener and engine, without the bot")
    sub.add_parser("migrate", help="create or upgrade the database schema (idempotent)")
    sub.add_parser("status", help="what waits in the outbox: messages not sent yet, oldest age")
    key = sub.add_parser("apikey", help="manage REST API keys")
    key_sub = key.add_subparsers(dest="action", required=True)
    create = key_sub.add_parser("create", help="print a new API key for a payee, once")
    create.add_argument("--payee", required=True, help="the payee's name (created if new)")
    cli_trust.add_commands(sub)
    cli_codes.add_commands(sub)
    cli_statements.add_commands(sub)
    return p


def _settings() -> Settings:
    try:
        return Settings()
    except ValidationError as exc:
        for err in exc.errors():
            name = ".".join(str(x) for x in err["loc"])
            sys.stderr.write(f"chipin: bad setting {name}: {err['msg']}\n")
        raise SystemExit(2) from None


def main(argv: list[str] | None = None) -> int:
    # python-telegram-bot: durations (RetryAfter.retry_after) as timedelta, the coming default.
    os.environ.setdefault("PTB_TIMEDELTA", "true")
    args = _parser().parse_args(argv)
    if args.command == "receipt":  # offline: no settings, no database
        return cli_trust.verify_receipt_file(args.file, args.root_fingerprint)
    settings = _settings()
    logging.basicConfig(
        level=settings.log_level.upper(),
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
    )
    # httpx logs every request URL at INFO, and Bot API URLs carry the bot token; PTB's
    # DEBUG lines carry whole updates (keypad keys, passwords typed in private).
    logging.getLogger("httpx").setLevel(logging.WARNING)
    logging.getLogger("apscheduler").setLevel(logging.WARNING)
    # aiosqlite's DEBUG lines carry bound parameters: wrapped keys, sealed personal data.
    logging.getLogger("aiosqlite").setLevel(logging.INFO)
    if logging.getLogger().level < logging.INFO:
        logging.getLogger("telegram").setLevel(logging.INFO)
    if args.command == "migrate":
        from storage.migrate import migrate

        migrate(settings.database_url)
        log.info("database is up to date")
        return 0
    if args.command == "apikey":
        return asyncio.run(_create_key(settings, args.payee))
    if args.command == "status":
        return asyncio.run(_status(settings))
    if args.command == "codes":
        return asyncio.run(cli_codes.print_codes(settings, args))
    if args.command == "statement":
        return asyncio.run(cli_statements.import_statement(settings, args))
    if args.command in ("ca", "ledger", "keys", "pii"):
        return asyncio.run(cli_trust.run(settings, args))
    from bot.app.launch import BotRefused
    from bot.app.runner import serve

    try:
        with asyncio.Runner(loop_factory=_loop_factory()) as runner:
            runner.run(serve(settings, with_bot=args.command == "run"))
    except BotRefused as refused:  # e.g. a token Telegram rejects: one line, as for a setting
        sys.stderr.write(f"chipin: {refused}\n")
        return 2
    return 0


def _loop_factory() -> Callable[[], asyncio.AbstractEventLoop] | None:
    """uvloop where it is installed (uvicorn[standard] brings it), as uvicorn itself would
    choose: its sockets and callbacks in C halve the loop's own cost per request."""
    try:
        import uvloop
    except ImportError:
        return None
    return uvloop.new_event_loop


async def _create_key(settings: Settings, payee: str) -> int:
    from bot.app.bootstrap import bootstrap
    from core.domain.errors import InvalidInput

    service = await bootstrap(settings, bot=False)
    try:
        payee_id, key = await service.engine.create_api_key(payee)
    except InvalidInput as exc:
        sys.stderr.write(f"chipin: {exc.message}\n")
        return 2
    finally:
        await service.close()
    sys.stdout.write(f"payee {payee_id}\napi key {key}\n(shown once: only its hash is stored)\n")
    return 0


async def _status(settings: Settings) -> int:
    """One line an operator can watch: the outbox's depth and the age of its oldest row."""
    from bot.app.bootstrap import bootstrap

    service = await bootstrap(settings, bot=False)
    try:
        depth = await service.engine.outbox_depth()
        now = service.engine.deps.clock.now()
    finally:
        await service.close()
    sys.stdout.write(
        f"outbox: {depth.events} events to relay, {depth.letters} messages to send, "
        f"{depth.held} held for /start; oldest waiting {depth.age_s(now):.0f} s\n"
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
