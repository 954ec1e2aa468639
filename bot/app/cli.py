"""The `chipin` command: run, serve, migrate, apikey create, codes print, the trust commands."""

from __future__ import annotations

import argparse
import asyncio
import logging
import os
import sys
import traceback
from collections.abc import Callable, Sequence

from pydantic import ValidationError

from bot.app import cli_backup, cli_codes, cli_statements, cli_status, cli_trust
from bot.app.settings import Refused, Settings, prepare_data_dir, secret_texts

log = logging.getLogger("chipin")


def _parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="chipin", description="Chipin: one QR code, many payers.")
    sub = p.add_subparsers(dest="command", required=True)
    sub.add_parser("run", help="run everything: listener, engine and (with a token) the bot")
    sub.add_parser("serve", help="run the listener and engine, without the bot")
    sub.add_parser("migrate", help="create or upgrade the database schema (idempotent)")
    key = sub.add_parser("apikey", help="manage REST API keys")
    key_sub = key.add_subparsers(dest="action", required=True)
    create = key_sub.add_parser("create", help="print a new API key for a payee, once")
    create.add_argument("--payee", required=True, help="the payee's name (created if new)")
    cli_status.add_commands(sub)
    cli_backup.add_commands(sub)
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
            said = " ".join(err["msg"].removeprefix("Value error, ").split())
            sys.stderr.write(
                f"chipin: bad setting {name}: {said}\n" if name else f"chipin: {said}\n"
            )
        raise SystemExit(2) from None


class Masks:
    """The secrets any text `chipin` prints must not hold, each replaced by its setting's
    name: the last line of defence under the log's and a traceback's text (python-telegram-
    bot and httpx put the bot token in messages and URLs)."""

    def __init__(self, secrets: Sequence[tuple[str, str]] = ()) -> None:
        self._secrets: list[tuple[str, str]] = []
        self.learn(secrets)

    def learn(self, secrets: Sequence[tuple[str, str]]) -> None:
        self._secrets = sorted({*self._secrets, *secrets}, key=lambda s: -len(s[1]))

    def hide(self, text: str) -> str:
        for name, secret in self._secrets:  # the longest first: a token before its part
            text = text.replace(secret, f"<{name}>")
        return text


class _MaskingFormatter(logging.Formatter):
    def __init__(self, fmt: str, masks: Masks) -> None:
        super().__init__(fmt)
        self._masks = masks

    def format(self, record: logging.LogRecord) -> str:
        return self._masks.hide(super().format(record))


def main(argv: list[str] | None = None) -> int:
    """`chipin`. A mistake an operator can make (a setting, a file, the database, a key, a
    token Telegram rejects) stops it with one line `chipin: ...` and status 2; anything else
    with its traceback, every secret masked out of it, and status 1."""
    masks = Masks(secret_texts(None))
    try:
        return _commands(argv, masks)
    except Refused as refused:
        sys.stderr.write(f"chipin: {masks.hide(str(refused))}\n")
        return 2
    except KeyboardInterrupt:
        return 130
    except Exception:
        sys.stderr.write(masks.hide(traceback.format_exc()))
        sys.stderr.write("chipin: stopped by an unexpected error (above, secrets masked)\n")
        return 1


def _logging(settings: Settings, masks: Masks) -> None:
    handler = logging.StreamHandler()
    handler.setFormatter(
        _MaskingFormatter("%(asctime)s %(levelname)s %(name)s: %(message)s", masks)
    )
    logging.basicConfig(level=settings.log_level, handlers=[handler])


def _commands(argv: list[str] | None, masks: Masks) -> int:
    # Every file Chipin makes (the databases with their -wal and -shm, keys, backups, printed
    # codes) is its own user's alone: 0600, folders 0700, whatever umask it was started with.
    os.umask(0o077)
    # python-telegram-bot: durations (RetryAfter.retry_after) as timedelta, the coming default.
    os.environ.setdefault("PTB_TIMEDELTA", "true")
    args = _parser().parse_args(argv)
    if args.command == "receipt":  # offline: no settings, no database
        return cli_trust.verify_receipt_file(args.file, args.root_fingerprint)
    settings = _settings()
    masks.learn(secret_texts(settings))
    _logging(settings, masks)
    # httpx logs every request URL at INFO, and Bot API URLs carry the bot token; PTB's
    # DEBUG lines carry whole updates (keypad keys, passwords typed in private).
    logging.getLogger("httpx").setLevel(logging.WARNING)
    logging.getLogger("apscheduler").setLevel(logging.WARNING)
    # aiosqlite's DEBUG lines carry bound parameters: wrapped keys, sealed personal data.
    logging.getLogger("aiosqlite").setLevel(logging.INFO)
    if logging.getLogger().level < logging.INFO:
        logging.getLogger("telegram").setLevel(logging.INFO)
    if args.command in ("status", "wait"):  # they change nothing, the data folder included
        return asyncio.run(cli_status.run(settings, args))
    prepare_data_dir(settings)
    if args.command == "migrate":
        from bot.app.bootstrap import ready_database

        asyncio.run(ready_database(settings, upgrade=True))
        log.info("database is up to date")
        return 0
    if args.command == "apikey":
        return asyncio.run(_create_key(settings, args.payee))
    if args.command == "backup":
        return asyncio.run(cli_backup.backup(settings, args))
    if args.command == "codes":
        return asyncio.run(cli_codes.print_codes(settings, args))
    if args.command == "statement":
        return asyncio.run(cli_statements.import_statement(settings, args))
    if args.command in ("ca", "ledger", "keys", "pii"):
        return asyncio.run(_trust(settings, args))
    from bot.app.runner import serve

    # a token Telegram rejects (BotRefused), a port in use (PortUnavailable): Refused, above
    with asyncio.Runner(loop_factory=_loop_factory()) as runner:
        runner.run(serve(settings, with_bot=args.command == "run"))
    return 0


def _loop_factory() -> Callable[[], asyncio.AbstractEventLoop] | None:
    """uvloop where it is installed (a dependency but on Windows), as uvicorn itself would
    choose: its sockets and callbacks in C halve the loop's own cost per request."""
    try:
        import uvloop
    except ImportError:
        return None
    return uvloop.new_event_loop


async def _trust(settings: Settings, args: argparse.Namespace) -> int:
    """The trust commands, on a database at this version's schema and, except for `ledger
    verify` (certificates and hashes are public), never with a new key beside its keys."""
    from bot.app.bootstrap import check_secret, ready_database
    from storage.db import make_engine

    await ready_database(settings)
    if (args.command, args.action) != ("ledger", "verify"):
        db = make_engine(settings.database_url)
        try:
            await check_secret(settings, db)
        finally:
            await db.dispose()
    return await cli_trust.run(settings, args)


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


if __name__ == "__main__":
    raise SystemExit(main())
