"""What the tests of money straight to the payee share: payees with methods, a payer paying by
transfer through the bot, statements, and documents sent in the private chat."""

from __future__ import annotations

import io
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import replace
from pathlib import Path

import zxingcpp
from PIL import Image

from bot.app.bootstrap import build_engine
from core.domain.model import PayeeId
from tests.support.harness import Rig, build_rig
from tests.support.offline_api import OfflineBotApi
from tests.support.ptb import ANN, PIN, BotRig, Call, OfflineBot, Person, running_bot
from tests.telegram_emulator.api_messages import document_json


@asynccontextmanager
async def bot_with_files(data_dir: Path, *, statements: bool = True) -> AsyncIterator[BotRig]:
    """The bot over an engine that reads bank statements (or not), able to download files."""
    rig = build_rig() if statements else unread_rig()
    offline = OfflineBot.over(data_dir, OfflineBotApi())
    async with running_bot(data_dir, rig, offline=offline) as bot:
        yield bot


SEPA = {"holder": "Ann Example", "iban": "DE89 3704 0044 0532 0130 00", "bic": "COBADEFFXXX"}
IBAN_PRINTED = "DE89 3704 0044 0532 0130 00"
UPI = {"holder": "Ann Example", "vpa": "ann.e@okaxis"}
PIX = {"holder": "Ann Example", "key": "ann@example.com", "city": "São Paulo"}
UTR = "412345678901"


def unread_rig() -> Rig:
    """A rig whose engine reads no bank statements (Deps.statements None)."""
    rig = build_rig()
    return replace(rig, engine=build_engine(replace(rig.engine.deps, statements=None)))


async def payee_with(
    bot: BotRig, kind: str = "sepa", given: dict[str, str] | None = None, user: Person = ANN
) -> PayeeId:
    """The Telegram user's payee id, with a receiving method of `kind`."""
    payee = await bot.rig.engine.payee_named(f"tg:{user.id}")
    await bot.rig.engine.add_method(payee, kind, given or {"sepa": SEPA, "upi": UPI}.get(kind, PIX))
    return payee


async def pay_by_transfer(bot: BotRig, user: Person, token: str, label: str) -> tuple[Call, Call]:
    """Open the link, Pay, the password, then choose `label`: the QR photo and the details."""
    await bot.start_paying(user, token)
    had_pin = await bot.rig.engine.has_pin(f"tg:{user.id}")
    await bot.enter(user, PIN)
    if not had_pin:
        await bot.enter(user, PIN)
    mark = bot.api.mark()
    await bot.choose(user, label)
    sent = [c for c in bot.api.since(mark) if c.chat_id == user.id and c.ok]
    photos = [c for c in sent if c.method == "sendPhoto"]
    assert photos, [c.text for c in sent]
    return photos[-1], [c for c in sent if c.method == "sendMessage"][-1]


def decoded(photo: Call) -> str:
    """The text of the QR code in a sent photo."""
    _name, png = photo.uploads["photo"]
    (code,) = zxingcpp.read_barcodes(Image.open(io.BytesIO(png)))
    return str(code.text)


def reference_of(details: Call) -> str:
    """The compact transfer reference in the details message ('RF18 5390 …' -> 'RF185390…')."""
    line = next(x for x in details.text.splitlines() if x.startswith("Reference:"))
    return (
        line.removeprefix("Reference:")
        .replace("<code>", "")
        .replace("</code>", "")
        .replace(" ", "")
    )


async def send_document(bot: BotRig, user: Person, data: bytes, name: str) -> list[Call]:
    """`user` sends a file as a document in their private chat (kept by the emulator)."""
    stored = bot.api.world.store_file(data, "document", name)
    msg = bot.api.message_from(user, user.id, **document_json(stored))
    return await bot.update({"message": msg})


def mt940(lines: list[tuple[str, str]]) -> bytes:
    """An MT940 statement of booked credits: (amount like '30,00', remittance text) each."""
    body = [
        "{1:F01COBADEFFAXXX0000000000}{2:O9400615240306COBADEFFAXXX00000000002403060615N}{4:",
        ":20:CHIPIN-TEST",
        ":25:DE89370400440532013000",
        ":28C:1/1",
        ":60F:C240304EUR0,",
    ]
    for n, (amount, text) in enumerate(lines):
        body += [f":61:240305C{amount}NTRFNONREF//ZV{n:06d}", f":86:{text}"]
    body += [":62F:C240305EUR0,", "-}"]
    return "\r\n".join(body).encode()
