"""`chipin codes print`: new unbound static codes, as a printable PDF sheet and PNGs."""

from __future__ import annotations

import argparse
import asyncio
import os
import re
import sys
import tempfile
from pathlib import Path

from telegram import Bot
from telegram.error import TelegramError
from telegram.helpers import create_deep_linked_url

from bot.app.settings import Refused, Settings
from bot.chat.codes.pay import CODE_PAYLOAD
from bot.views.sheets import Sticker, sheet_pdf, sticker_png
from core.domain.codes import check_count
from core.domain.errors import InvalidInput

USERNAME = re.compile(r"[A-Za-z0-9_]{4,32}")  # as python-telegram-bot's links accept them


def add_commands(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    codes = sub.add_parser("codes", help="static QR codes: printed first, bound later")
    codes_sub = codes.add_subparsers(dest="action", required=True)
    printing = codes_sub.add_parser("print", help="make new unbound codes and a sheet to print")
    printing.add_argument("--count", type=int, default=24, help="how many codes (1 to 500)")
    printing.add_argument("--out", type=Path, required=True, help="the PDF to write (A4)")
    printing.add_argument("--png-dir", type=Path, help="also write one PNG per code here")
    printing.add_argument(
        "--bot", help="the bot's username for the links (default: asked from Telegram)"
    )


async def _username(settings: Settings, given: str | None) -> str:
    if given:
        name = given.removeprefix("@")
        if not USERNAME.fullmatch(name):  # checked now: the codes are saved before the links
            raise InvalidInput("bot", f"--bot {given!r} is not a bot's username, e.g. chipin_bot")
        return name
    from bot.app.launch import refusal, said, unreachable

    token = settings.telegram_bot_token
    if token is None:
        raise InvalidInput("bot", "give the bot's username with --bot, or set TELEGRAM_BOT_TOKEN")
    base = settings.telegram_base_url
    secret = token.get_secret_value()
    bot = Bot(secret, base_url=base.rstrip("/")) if base else Bot(secret)
    try:
        async with bot:
            return bot.username
    except TelegramError as exc:  # its message, and its cause's, may hold the token
        if unreachable(exc):
            raise Refused(
                f"cannot ask Telegram for the bot's username ({said(exc, secret)}): give it "
                "with --bot, or try again when Telegram answers (check TELEGRAM_BASE_URL)"
            ) from None
        raise refusal(exc, secret) from None


def check_writable(out: Path, png_dir: Path | None) -> None:
    """Refused unless the sheet (and the PNGs) can be written: checked before any code is
    saved, so that a wrong path leaves no printed-but-lost codes in the database."""
    if out.is_dir():
        raise Refused(f"--out {out} is a folder: give the file to write, e.g. {out / 'codes.pdf'}")
    folder = out.absolute().parent
    if not folder.is_dir():
        raise Refused(f"--out {out}: the folder {folder} does not exist; create it first")
    _can_write_in(folder, f"--out {out}")
    if out.exists() and not os.access(out, os.W_OK):
        raise Refused(f"--out {out}: the file exists and cannot be written")
    if png_dir is None:
        return
    if png_dir.exists() and not png_dir.is_dir():
        raise Refused(f"--png-dir {png_dir} is a file, not a folder")
    try:
        png_dir.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise Refused(f"--png-dir {png_dir}: cannot create it ({_why(exc)})") from None
    _can_write_in(png_dir, f"--png-dir {png_dir}")


def _can_write_in(folder: Path, what: str) -> None:
    try:
        with tempfile.TemporaryFile(dir=folder):
            pass
    except OSError as exc:
        raise Refused(f"{what}: cannot write in {folder} ({_why(exc)})") from None


def _why(exc: OSError) -> str:
    return exc.strerror or type(exc).__name__


async def print_codes(settings: Settings, args: argparse.Namespace) -> int:
    """New codes, saved and written; everything that can be checked first is (the count, the
    paths, the bot's username), so that a mistake leaves no codes saved but never printed."""
    try:
        check_count(args.count)
        username = await _username(settings, args.bot)
        check_writable(args.out, args.png_dir)  # last: it may make --png-dir
    except InvalidInput as exc:
        sys.stderr.write(f"chipin: {exc.message}\n")
        return 2
    from bot.app.bootstrap import bootstrap  # after the checks: it imports every layer

    service = await bootstrap(settings, bot=False)
    try:
        codes = await service.engine.print_codes(args.count)
    except InvalidInput as exc:
        sys.stderr.write(f"chipin: {exc.message}\n")
        return 2
    finally:
        await service.close()
    stickers = [
        Sticker(create_deep_linked_url(username, CODE_PAYLOAD + c.token), c.label) for c in codes
    ]
    pdf = await asyncio.to_thread(sheet_pdf, stickers)
    args.out.write_bytes(pdf)
    if args.png_dir is not None:
        args.png_dir.mkdir(parents=True, exist_ok=True)
        for sticker in stickers:
            png = await asyncio.to_thread(sticker_png, sticker)
            (args.png_dir / f"{sticker.label}.png").write_bytes(png)
    sys.stdout.write(f"{len(codes)} unbound codes written to {args.out}\n")
    for c in codes:
        sys.stdout.write(f"{c.label}\n")
    return 0
