"""`chipin codes print`: new unbound static codes, as a printable PDF sheet and PNGs."""

from __future__ import annotations

import argparse
import asyncio
import sys
from pathlib import Path

from telegram import Bot
from telegram.helpers import create_deep_linked_url

from bot.app.settings import Settings
from bot.chat.codes.pay import CODE_PAYLOAD
from bot.views.sheets import Sticker, sheet_pdf, sticker_png
from core.domain.codes import check_count
from core.domain.errors import InvalidInput


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
        return given.removeprefix("@")
    token = settings.telegram_bot_token
    if token is None:
        raise InvalidInput("bot", "give the bot's username with --bot, or set TELEGRAM_BOT_TOKEN")
    base = settings.telegram_base_url
    secret = token.get_secret_value()
    bot = Bot(secret, base_url=base.rstrip("/")) if base else Bot(secret)
    async with bot:
        return bot.username


async def print_codes(settings: Settings, args: argparse.Namespace) -> int:
    from bot.app.bootstrap import bootstrap

    try:
        check_count(args.count)
        username = await _username(settings, args.bot)
    except InvalidInput as exc:
        sys.stderr.write(f"chipin: {exc.message}\n")
        return 2
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
