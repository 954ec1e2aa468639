"""Printable static codes: an A4 sheet of labelled QR stickers with cut marks, or one PNG each.

The sheet is drawn at 300 dpi with Pillow and saved as a PDF (one page per 24 stickers);
every sticker holds the deep link's QR code, a line saying what to do, and the short
human code a payee types to bind it (`/bind K7PQ-3MXD`).
"""

from __future__ import annotations

import io
from collections.abc import Sequence
from dataclasses import dataclass

from PIL import Image, ImageDraw

from bot.views.qr import INK, SOFT, _font, _qr_image

DPI = 300
A4 = (2480, 3508)  # 210 × 297 mm at 300 dpi
COLS, ROWS = 4, 6
MARGIN = 140  # the printer's unprintable edge, and room for the cut marks
MARK = 40  # length of a cut mark
MARK_GAP = 12  # cut marks stop short of the cut line's crossing


@dataclass(frozen=True, slots=True)
class Sticker:
    link: str  # the deep link the QR code opens
    label: str  # the short human code, e.g. 'K7PQ-3MXD'


def _cell() -> tuple[int, int]:
    return (A4[0] - 2 * MARGIN) // COLS, (A4[1] - 2 * MARGIN) // ROWS


def sticker_image(sticker: Sticker, size: tuple[int, int], caption: str) -> Image.Image:
    """One sticker: QR code on top, the caption, then the short code in bold."""
    width, height = size
    img = Image.new("L", size, 255)
    draw = ImageDraw.Draw(img)
    code_font, caption_font = _font(56, True, False), _font(34, False, False)
    side = min(width - 40, height - 150)
    qr = _qr_image(sticker.link).resize((side, side), Image.Resampling.NEAREST)
    img.paste(qr, ((width - side) // 2, 10))
    y = 10 + side + 4
    draw.text((width / 2, y), caption, fill=SOFT, font=caption_font, anchor="mt")
    draw.text((width / 2, y + 46), sticker.label, fill=INK, font=code_font, anchor="mt")
    return img


def sticker_png(sticker: Sticker, caption: str = "Scan to pay with Chipin") -> bytes:
    out = io.BytesIO()
    sticker_image(sticker, _cell(), caption).save(out, format="PNG")
    return out.getvalue()


def _cut_marks(draw: ImageDraw.ImageDraw) -> None:
    """Short marks in the margins at every cut line: the sheet is cut along the grid."""
    cw, ch = _cell()
    right, bottom = MARGIN + COLS * cw, MARGIN + ROWS * ch
    for i in range(COLS + 1):
        x = MARGIN + i * cw
        draw.line([(x, MARGIN - MARK_GAP - MARK), (x, MARGIN - MARK_GAP)], fill=0, width=3)
        draw.line([(x, bottom + MARK_GAP), (x, bottom + MARK_GAP + MARK)], fill=0, width=3)
    for j in range(ROWS + 1):
        y = MARGIN + j * ch
        draw.line([(MARGIN - MARK_GAP - MARK, y), (MARGIN - MARK_GAP, y)], fill=0, width=3)
        draw.line([(right + MARK_GAP, y), (right + MARK_GAP + MARK, y)], fill=0, width=3)


def sheet_pages(stickers: Sequence[Sticker], caption: str) -> list[Image.Image]:
    """A4 pages of COLS × ROWS stickers each."""
    per_page = COLS * ROWS
    cw, ch = _cell()
    pages = []
    for start in range(0, len(stickers), per_page):
        page = Image.new("L", A4, 255)
        draw = ImageDraw.Draw(page)
        _cut_marks(draw)
        for k, sticker in enumerate(stickers[start : start + per_page]):
            col, row = k % COLS, k // COLS
            box = (MARGIN + col * cw, MARGIN + row * ch)
            page.paste(
                sticker_image(sticker, (cw - 20, ch - 20), caption), (box[0] + 10, box[1] + 10)
            )
        pages.append(page)
    return pages


def sheet_pdf(stickers: Sequence[Sticker], caption: str = "Scan to pay with Chipin") -> bytes:
    """The printable PDF: one A4 page per 24 stickers."""
    pages = sheet_pages(stickers, caption)
    out = io.BytesIO()
    first, *rest = pages
    first.save(out, format="PDF", resolution=DPI, save_all=True, append_images=rest)
    return out.getvalue()
