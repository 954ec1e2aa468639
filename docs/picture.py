"""Draws docs/chipin.png, the README's picture, with Chipin's own QR card and progress text.

Run `make picture` (or `.venv/bin/python docs/picture.py [OUT]`). The sample order is
"Dinner at Luigi's", 240.00 EUR in 6 parts, 4 paid and 1 being paid: the card comes from
`bot.views.qr.make_qr_card` with the words of `bot.views.texts.payee.card_texts`, the message
from `bot.views.progress.render_progress`, as the bot posts them in a group. Emoji are drawn
with Noto Color Emoji when it is installed (Debian's `fonts-noto-color-emoji`), else left out.
"""

from __future__ import annotations

import html
import io
import re
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path

from PIL import Image, ImageDraw, ImageFont

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bot.views.i18n import translator  # noqa: E402
from bot.views.progress import render_progress  # noqa: E402
from bot.views.qr import make_qr_card  # noqa: E402
from bot.views.texts.payee import card_texts  # noqa: E402
from core.domain.allocation import split_equal  # noqa: E402
from core.domain.model import (  # noqa: E402
    Mode,
    Order,
    OrderId,
    OrderState,
    PayeeId,
    SplitKind,
    SubOrder,
    SubOrderId,
    SubOrderState,
)
from core.domain.money import currency  # noqa: E402
from core.usecases.deps import OrderView  # noqa: E402

OUT = ROOT / "docs" / "chipin.png"
NOW = datetime(2026, 12, 7, 19, 30, tzinfo=UTC)
ORDER_TOKEN = "k3Jq9XbT2mPzR7vW"  # noqa: S105 (a made-up order link token, no secret)
LINK = f"https://t.me/ChipinBot?start={ORDER_TOKEN}"
PAID = ("Ann", "Bob", "Cid", "Dee")

BG = (214, 228, 237)  # a Telegram-like chat background
BUBBLE = (255, 255, 255)
BUTTON = (171, 192, 207)
TEXT = (17, 17, 17)
CARD_W = 420
MARGIN = 28
BUBBLE_W = 430
PAD = 18
SIZE = 19
LINE = 29

DEJAVU = "/usr/share/fonts/truetype/dejavu/DejaVuSans{}.ttf"
EMOJI = "/usr/share/fonts/truetype/noto/NotoColorEmoji.ttf"
EMOJI_SIZE = 109  # the one size of Noto Color Emoji's bitmaps


def sample_view() -> OrderView:
    """The sample order as the engine would hold it: 4 parts paid, 1 held, 1 free."""
    eur = currency("EUR")
    order_id = OrderId("ord_sample")
    parts = split_equal(24000, 6)
    subs = []
    for idx, amount in enumerate(parts):
        paid = idx < len(PAID)
        state = SubOrderState.PAID if paid else SubOrderState.AVAILABLE
        if idx == len(PAID):
            state = SubOrderState.RESERVED
        subs.append(
            SubOrder(
                id=SubOrderId(f"sub_{idx}"),
                order_id=order_id,
                idx=idx,
                amount_minor=amount,
                state=state,
                paid_at=NOW - timedelta(minutes=30 - idx) if paid else None,
                payer_name=PAID[idx] if paid else None,
            )
        )
    order = Order(
        id=order_id,
        token=ORDER_TOKEN,
        payee_id=PayeeId("payee_sample"),
        title="Dinner at Luigi's",
        currency=eur,
        total_minor=24000,
        n=6,
        kind=SplitKind.EQUAL,
        mode=Mode.KEEP,
        state=OrderState.OPEN,
        password_hash=None,
        hold_s=900,
        created_at=NOW - timedelta(hours=1),
        expires_at=NOW + timedelta(hours=2, minutes=30),
        paid_count=len(PAID),
        paid_minor=sum(parts[: len(PAID)]),
    )
    return OrderView(order=order, subs=tuple(subs))


def _font(bold: bool) -> ImageFont.FreeTypeFont | ImageFont.ImageFont:
    try:
        return ImageFont.truetype(DEJAVU.format("-Bold" if bold else ""), SIZE)
    except OSError:
        return ImageFont.load_default(size=SIZE)


class Writer:
    """Draws one line of the message at a time: bold runs and emoji, on a white bubble."""

    def __init__(self, draw: ImageDraw.ImageDraw, image: Image.Image) -> None:
        self.draw, self.image = draw, image
        self.fonts = {False: _font(False), True: _font(True)}
        try:
            self.emoji: ImageFont.FreeTypeFont | None = ImageFont.truetype(EMOJI, EMOJI_SIZE)
        except OSError:
            self.emoji = None
        self.missing = bytes(self.fonts[False].getmask("\U0010ffff"))

    def _has_glyph(self, ch: str) -> bool:
        return ch.isspace() or bytes(self.fonts[False].getmask(ch)) != self.missing

    def _emoji(self, ch: str, x: float, y: int) -> float:
        if self.emoji is None:
            return 0
        side = EMOJI_SIZE + 27
        tile = Image.new("RGBA", (side, side), (0, 0, 0, 0))
        ImageDraw.Draw(tile).text((0, 0), ch, font=self.emoji, embedded_color=True)
        box = tile.getbbox()
        if box is None:
            return 0
        scaled = tile.crop(box).resize((SIZE + 2, SIZE + 2), Image.Resampling.LANCZOS)
        self.image.paste(scaled, (int(x), y + 3), scaled)
        return SIZE + 6

    def line(self, html_line: str, x: float, y: int) -> None:
        for bold, run in _runs(html_line):
            font = self.fonts[bold]
            for ch in run:
                if ch in "\ufe0f\u200d":
                    continue
                if self._has_glyph(ch):
                    self.draw.text((x, y), ch, font=font, fill=TEXT)
                    x += font.getlength(ch)
                else:
                    x += self._emoji(ch, x, y)


def _runs(html_line: str) -> list[tuple[bool, str]]:
    """'<b>A</b> b' -> [(True, 'A'), (False, ' b')], entities unescaped."""
    parts = re.split(r"(</?b>)", html_line)
    runs, bold = [], False
    for part in parts:
        if part in ("<b>", "</b>"):
            bold = part == "<b>"
        elif part:
            runs.append((bold, html.unescape(part)))
    return runs


def render(out: Path) -> int:
    """Writes the picture to `out`; returns its size in bytes."""
    t = translator("en")
    view = sample_view()
    card_png = make_qr_card(LINK, *card_texts(t, view, NOW))
    card = Image.open(io.BytesIO(card_png)).convert("RGB")
    card = card.resize((CARD_W, card.height * CARD_W // card.width), Image.Resampling.LANCZOS)
    text, markup = render_progress(view, None, NOW, t, LINK)
    lines = text.split("\n")
    rows = [[b.text for b in row] for row in markup.inline_keyboard]
    bubble_h = 2 * PAD + LINE * len(lines)
    buttons_h = len(rows) * 44
    height = 2 * MARGIN + max(card.height, bubble_h + buttons_h)
    image = Image.new("RGB", (3 * MARGIN + CARD_W + BUBBLE_W, height), BG)
    image.paste(card, (MARGIN, MARGIN))
    draw = ImageDraw.Draw(image)
    left = 2 * MARGIN + CARD_W
    top = MARGIN + max(0, (card.height - bubble_h - buttons_h) // 2)
    draw.rounded_rectangle((left, top, left + BUBBLE_W, top + bubble_h), 16, fill=BUBBLE)
    writer = Writer(draw, image)
    for i, line in enumerate(lines):
        writer.line(line, left + PAD, top + PAD + i * LINE)
    _buttons(draw, writer, rows, left, top + bubble_h + 4)
    image = image.quantize(colors=128, method=Image.Quantize.MEDIANCUT)
    image.save(out, "PNG", optimize=True)
    return out.stat().st_size


def _buttons(
    draw: ImageDraw.ImageDraw, writer: Writer, rows: list[list[str]], left: int, top: int
) -> None:
    """The inline keyboard under the message: rows of equal buttons, as Telegram draws them."""
    font = writer.fonts[True]
    for r, row in enumerate(rows):
        width = (BUBBLE_W - 4 * (len(row) - 1)) / len(row)
        for c, label in enumerate(row):
            x0 = left + c * (width + 4)
            y0 = top + r * 44
            draw.rounded_rectangle((x0, y0, x0 + width, y0 + 40), 10, fill=BUTTON)
            x = x0 + (width - font.getlength(label)) / 2
            draw.text((x, y0 + 9), label, font=font, fill=(255, 255, 255))


def main() -> None:
    out = Path(sys.argv[1]) if len(sys.argv) > 1 else OUT
    size = render(out)
    sys.stdout.write(f"wrote {out} ({size:,} bytes)\n")


if __name__ == "__main__":
    main()
