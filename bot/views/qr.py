"""QR images: the plain code of a link, the QR card, and their cache (bot and web use them).

The QR card is a PNG with the payer link's QR code, the title, the amount and the deadline.
`payment_qr_png` draws a standard payment payload (EPC, PIX, UPI) as the EPC guideline
asks of its codes: UTF-8 bytes, error correction M, QR version 13 at most.

Fonts: DejaVu Sans when the system has it (Debian's `fonts-dejavu-core`), else Pillow's
built-in scalable default font. Chinese (and other CJK) text needs a CJK font such as
Noto Sans CJK (`fonts-noto-cjk`) or WenQuanYi (`fonts-wqy-microhei`); one is looked for
in the usual places. Without one, CJK characters are drawn as empty boxes (never an
error).
"""

from __future__ import annotations

import asyncio
import functools
import io
from collections import OrderedDict
from collections.abc import Callable, Hashable
from typing import Generic, Literal, TypeVar

import qrcode
import qrcode.constants
from PIL import Image, ImageDraw, ImageFont
from qrcode.util import QRData

from core.domain.errors import invariant

WIDTH = 800
PAD = 40
QR_SIDE = 600  # target pixels for the QR code (modules are whole pixels, so a bit less)
QR_BORDER = 4  # quiet zone in modules, as the QR standard asks
BOX_SIZE = 10  # pixels per module of a plain QR image
LINK_MAX = 1000
CACHE_SIZE = 512
PAYMENT_QR_MAX_VERSION = 13  # EPC069-12: version 13 at most, error correction M...
PAYMENT_QR_MAX_BYTES = 331  # ...which holds 331 bytes in byte mode (ISO/IEC 18004)
BYTE_MODE: Literal[4] = 4  # qrcode.util.MODE_8BIT_BYTE, which its type stubs call a plain int
INK = 17  # near-black grey level
SOFT = 85  # grey of the subtitle

Font = ImageFont.FreeTypeFont | ImageFont.ImageFont

_LATIN = {
    False: (
        "DejaVuSans.ttf",
        "/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf",
        "/usr/share/fonts/TTF/DejaVuSans.ttf",
        "/usr/share/fonts/dejavu/DejaVuSans.ttf",
        "/Library/Fonts/Arial.ttf",
        "arial.ttf",
    ),
    True: (
        "DejaVuSans-Bold.ttf",
        "/usr/share/fonts/truetype/dejavu/DejaVuSans-Bold.ttf",
        "/usr/share/fonts/TTF/DejaVuSans-Bold.ttf",
        "/usr/share/fonts/dejavu/DejaVuSans-Bold.ttf",
        "/Library/Fonts/Arial Bold.ttf",
        "arialbd.ttf",
    ),
}
_CJK = (
    "/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc",
    "/usr/share/fonts/opentype/noto/NotoSansCJK-Bold.ttc",
    "/usr/share/fonts/noto-cjk/NotoSansCJK-Regular.ttc",
    "/usr/share/fonts/google-noto-cjk/NotoSansCJK-Regular.ttc",
    "/usr/share/fonts/truetype/wqy/wqy-microhei.ttc",
    "/usr/share/fonts/truetype/wqy/wqy-zenhei.ttc",
    "/usr/share/fonts/wenquanyi/wqy-microhei/wqy-microhei.ttc",
    "/usr/share/fonts/truetype/droid/DroidSansFallbackFull.ttf",
    "/usr/share/fonts/truetype/arphic/uming.ttc",
    "/System/Library/Fonts/PingFang.ttc",
    "/System/Library/Fonts/STHeiti Medium.ttc",
    "C:/Windows/Fonts/msyh.ttc",
)


def _first_truetype(candidates: tuple[str, ...], size: int) -> ImageFont.FreeTypeFont | None:
    for candidate in candidates:
        try:
            return ImageFont.truetype(candidate, size, layout_engine=ImageFont.Layout.BASIC)
        except OSError:
            continue
    return None


@functools.cache
def _font(size: int, bold: bool, cjk: bool) -> Font:
    """A font of `size` px: a CJK one if asked and present, else DejaVu, else Pillow's own."""
    if cjk:
        found = _first_truetype(_CJK, size)
        if found is not None:
            return found
    return _first_truetype(_LATIN[bold], size) or ImageFont.load_default(size=size)


def _is_cjk(text: str) -> bool:
    return any(
        "\u2e80" <= ch <= "\u9fff" or "\uac00" <= ch <= "\ud7af" or "\uf900" <= ch <= "\uffef"
        for ch in text
    )


def _font_for(text: str, size: int, bold: bool = False) -> Font:
    return _font(size, bold, _is_cjk(text))


def _qr_code(text: str, box_size: int) -> qrcode.QRCode:  # type: ignore[type-arg]
    """The QR code of `text`: error correction M, the standard 4-module border."""
    code = qrcode.QRCode(
        error_correction=qrcode.constants.ERROR_CORRECT_M, box_size=box_size, border=QR_BORDER
    )
    code.add_data(text)
    code.make(fit=True)
    return code


def render_png(text: str) -> bytes:
    """A scannable PNG of `text`: error correction M, 10 px modules, the standard border."""
    out = io.BytesIO()
    _qr_code(text, BOX_SIZE).make_image().save(out)
    return out.getvalue()


def _payment_qr(payload: str) -> qrcode.QRCode:  # type: ignore[type-arg]
    """The QR code of a payment payload: its UTF-8 bytes in byte mode (the EPC character set
    1), error correction M, the smallest version that holds it; ValueError above version 13."""
    data = payload.encode("utf-8")
    if len(data) > PAYMENT_QR_MAX_BYTES:
        raise ValueError(
            f"a payment QR code holds at most {PAYMENT_QR_MAX_BYTES} bytes (version "
            f"{PAYMENT_QR_MAX_VERSION}, error correction M); this payload has {len(data)}"
        )
    code = qrcode.QRCode(
        version=None,
        error_correction=qrcode.constants.ERROR_CORRECT_M,
        box_size=BOX_SIZE,
        border=QR_BORDER,
    )
    code.add_data(QRData(data, mode=BYTE_MODE))
    code.make(fit=True)
    invariant(
        code.version <= PAYMENT_QR_MAX_VERSION, "331 bytes fit a version 13 QR code at level M"
    )
    return code


def qr_version(payload: str) -> int:
    """The QR version (1 to 13) `payment_qr_png` draws `payload` in; ValueError if over 13."""
    return _payment_qr(payload).version


def payment_qr_png(payload: str) -> bytes:
    """A plain PNG of a payment payload (EPC, PIX, UPI): error correction M, QR version 13
    at most (ValueError if it does not fit), 10 px modules, the standard border."""
    out = io.BytesIO()
    _payment_qr(payload).make_image().save(out)
    return out.getvalue()


def _qr_image(link: str) -> Image.Image:
    """The QR code (error correction M, 4-module border) scaled to whole pixels per module."""
    matrix = _qr_code(link, 1).get_matrix()
    modules = len(matrix)
    raw = bytes(0 if dark else 255 for row in matrix for dark in row)
    small = Image.frombytes("L", (modules, modules), raw)
    scale = max(1, QR_SIDE // modules)
    return small.resize((modules * scale, modules * scale), Image.Resampling.NEAREST)


def _fit(text: str, font: Font, width: float) -> int:
    """How many leading characters of `text` go on one line, breaking at a space if it can."""
    if font.getlength(text) <= width:
        return len(text)
    lo, hi = 1, len(text)  # text[:lo] is assumed to fit (one character at least)
    while lo < hi:
        mid = (lo + hi + 1) // 2
        if font.getlength(text[:mid]) <= width:
            lo = mid
        else:
            hi = mid - 1
    space = text.rfind(" ", 0, lo + 1)
    return space if space > 0 else lo


def wrap(text: str, font: Font, width: float, max_lines: int = 2) -> list[str]:
    """Greedy wrap into at most `max_lines` lines; the last one ends in '…' if text is cut."""
    lines: list[str] = []
    rest = " ".join(text.split())
    while rest and len(lines) < max_lines:
        cut = _fit(rest, font, width)
        lines.append(rest[:cut].rstrip())
        rest = rest[cut:].lstrip()
    if rest and lines:
        last = lines[-1]
        while last and font.getlength(last + "…") > width:
            last = last[:-1]
        lines[-1] = last.rstrip() + "…"
    return lines


def _shrink(text: str, size: int, width: float, bold: bool) -> Font:
    """The largest font up to `size` px (steps of 4, at least 20) in which `text` fits."""
    while size > 20 and _font_for(text, size, bold).getlength(text) > width:
        size -= 4
    return _font_for(text, size, bold)


class _Canvas:
    """Lines of centred text and images stacked from the top, on a white page."""

    def __init__(self, height: int) -> None:
        self.image = Image.new("L", (WIDTH, height), 255)
        self.draw = ImageDraw.Draw(self.image)
        self.y = PAD

    def text(self, line: str, font: Font, fill: int, gap: int) -> None:
        x = (WIDTH - font.getlength(line)) / 2
        self.draw.text((x, self.y), line, font=font, fill=fill)
        self.y += _line_height(font) + gap

    def paste(self, picture: Image.Image, gap: int) -> None:
        self.image.paste(picture, ((WIDTH - picture.width) // 2, self.y))
        self.y += picture.height + gap


def _line_height(font: Font) -> int:
    size = getattr(font, "size", 20)
    return int(size * 1.25)


def make_qr_card(
    link: str, title: str, amount_text: str, currency: str, deadline_text: str, subtitle: str
) -> bytes:
    """The card as PNG bytes (800 px wide); every text is plain, not HTML."""
    invariant(0 < len(link) <= LINK_MAX, "a QR link is 1 to 1000 characters")
    inner = WIDTH - 2 * PAD
    title_lines = wrap(title, _font_for(title, 44, bold=True), inner) or [""]
    title_font = _font_for(title, 44, bold=True)
    amount_line = f"{amount_text} {currency}".strip()
    amount_font = _shrink(amount_line, 72, inner, bold=True)
    deadline_font = _shrink(deadline_text, 32, inner, bold=False)
    subtitle_font = _shrink(subtitle, 28, inner, bold=False)
    qr = _qr_image(link)
    height = (
        2 * PAD
        + len(title_lines) * _line_height(title_font)
        + 8
        + _line_height(amount_font)
        + 16
        + qr.height
        + 16
        + _line_height(deadline_font)
        + 4
        + _line_height(subtitle_font)
    )
    canvas = _Canvas(height)
    for i, line in enumerate(title_lines):
        canvas.text(line, title_font, INK, 8 if i == len(title_lines) - 1 else 0)
    canvas.text(amount_line, amount_font, INK, 16)
    canvas.paste(qr, 16)
    canvas.text(deadline_text, deadline_font, INK, 4)
    canvas.text(subtitle, subtitle_font, SOFT, 0)
    out = io.BytesIO()
    canvas.image.save(out, "PNG", compress_level=1)
    return out.getvalue()


K = TypeVar("K", bound=Hashable)


class PngCache(Generic[K]):
    """The last `size` PNG images by key; rendering is CPU work, so it runs in a worker thread."""

    def __init__(self, size: int) -> None:
        if size < 1:
            raise ValueError("the QR cache needs room for at least one image")
        self._size = size
        self._items: OrderedDict[K, bytes] = OrderedDict()

    async def get(self, key: K, render: Callable[[], bytes]) -> bytes:
        """The image kept for `key`, else `render()`'s (kept, the least recent one evicted)."""
        hit = self._items.get(key)
        if hit is not None:
            self._items.move_to_end(key)
            return hit
        image = await asyncio.to_thread(render)
        self._items[key] = image
        while len(self._items) > self._size:
            self._items.popitem(last=False)
        return image

    def keys(self) -> list[K]:
        return list(self._items)

    def clear(self) -> None:
        self._items.clear()

    def __len__(self) -> int:
        return len(self._items)


class QrCache(PngCache[str]):
    """Plain QR images of payment links, per order token (the API's qr.png)."""

    def __init__(self, size: int = 256) -> None:
        super().__init__(size)

    async def png(self, token: str, text: str) -> bytes:
        return await self.get(token, lambda: render_png(text))


CardKey = tuple[str, str, str, str, str, str]
_cards: PngCache[CardKey] = PngCache(CACHE_SIZE)


async def qr_card(
    link: str, title: str, amount_text: str, currency: str, deadline_text: str, subtitle: str
) -> bytes:
    """`make_qr_card` off the event loop, with an LRU cache of the last 512 cards."""
    key = (link, title, amount_text, currency, deadline_text, subtitle)
    return await _cards.get(key, lambda: make_qr_card(*key))


def clear_cache() -> None:
    """Forget every cached card (tests)."""
    _cards.clear()
