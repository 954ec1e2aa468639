"""The /stats chart: a payee's net collected per month as a bar chart, a PNG drawn with Pillow.

The picture holds only numbers, months and a currency code, so it needs no translation
and no CJK font; the photo's caption carries the words.
"""

from __future__ import annotations

import asyncio
import io
from collections.abc import Sequence

from PIL import Image, ImageDraw, ImageFont

from core.domain.ledger.figures import Stats, amount_text

WIDTH = 800
HEIGHT = 480
PAD = 48
MAX_MONTHS = 24  # the newest months; older ones are in the CSV
BAR = (46, 125, 50)
BACK = (198, 40, 40)  # a month whose refunds outweigh its payments
INK = (33, 33, 33)
GRID = (224, 224, 224)


def chart_currency(st: Stats) -> str | None:
    """The currency to chart: the one with the most money collected (None if nothing was)."""
    found = [t for t in st.totals if t.collected_minor > 0]
    if not found:
        return None
    return max(found, key=lambda t: (t.collected_minor, t.currency)).currency


def monthly_net(st: Stats, code: str) -> list[tuple[str, int]]:
    """('YYYY-MM', net minor units) for every month from the first to the last, gaps as 0."""
    nets = {m.month: m.totals.net_minor for m in st.by_month if m.totals.currency == code}
    if not nets:
        return []
    first, last = min(nets), max(nets)
    year, month = int(first[:4]), int(first[5:7])
    months: list[str] = []
    while True:
        key = f"{year:04d}-{month:02d}"
        months.append(key)
        if key >= last:
            break
        year, month = (year + 1, 1) if month == 12 else (year, month + 1)
    return [(m, nets.get(m, 0)) for m in months[-MAX_MONTHS:]]


def _font(size: int) -> ImageFont.FreeTypeFont | ImageFont.ImageFont:
    return ImageFont.load_default(size=size)


def make_chart(bars: Sequence[tuple[str, int]], code: str) -> bytes:
    """The bar chart as PNG bytes (WIDTH x HEIGHT), with the zero line and month labels."""
    image = Image.new("RGB", (WIDTH, HEIGHT), (255, 255, 255))
    draw = ImageDraw.Draw(image)
    draw.text((PAD, PAD // 3), code, font=_font(20), fill=INK)
    top, bottom = PAD + 8, HEIGHT - PAD
    values = [v for _, v in bars] or [0]
    high, low = max(0, *values), min(0, *values)
    span = (high - low) or 1
    zero_y = top + (bottom - top) * high // span
    draw.line((PAD, zero_y, WIDTH - PAD // 2, zero_y), fill=GRID, width=2)
    slot = (WIDTH - PAD - PAD // 2) / max(1, len(bars))
    label_every = 1 if len(bars) <= 12 else 2
    small = _font(13)
    for i, (month, net) in enumerate(bars):
        x0 = PAD + i * slot + slot * 0.15
        x1 = PAD + (i + 1) * slot - slot * 0.15
        y = top + (bottom - top) * (high - net) // span
        draw.rectangle((x0, min(y, zero_y), x1, max(y, zero_y)), fill=BAR if net >= 0 else BACK)
        if i % label_every == 0:
            draw.text(((x0 + x1) / 2, bottom + 6), month, font=small, fill=INK, anchor="ma")
        if len(bars) <= 12:
            value = amount_text(net, code)
            where = (min(y, zero_y) - 4) if net >= 0 else (max(y, zero_y) + 4)
            anchor = "md" if net >= 0 else "ma"
            draw.text(((x0 + x1) / 2, where), value, font=small, fill=INK, anchor=anchor)
    out = io.BytesIO()
    image.save(out, "PNG", optimize=True)
    return out.getvalue()


async def stats_chart(st: Stats) -> tuple[bytes, str] | None:
    """The chart of `st` and its currency, drawn off the event loop; None with nothing to draw."""
    code = chart_currency(st)
    if code is None:
        return None
    bars = monthly_net(st, code)
    png = await asyncio.to_thread(make_chart, bars, code)
    return png, code
