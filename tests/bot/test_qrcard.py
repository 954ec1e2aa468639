"""The QR card decodes back to the payer link, stays phone-sized, and is cached."""

from __future__ import annotations

import io
from collections.abc import Iterator

import pytest
import zxingcpp
from PIL import Image

from bot.views import qr as qrcard
from bot.views.qr import make_qr_card, qr_card, wrap
from core.domain.errors import InvariantViolation

LINK = "https://t.me/ChipinBot?start=AbCdEfGhIjKlMnOpQrStUvWx"
CARD = ("Dinner at Luigi's", "40.00", "USD", "Closes 23:59 UTC", "Scan or tap Pay · 6 payers")


def decode(png: bytes) -> list[str]:
    image = Image.open(io.BytesIO(png))
    return [barcode.text for barcode in zxingcpp.read_barcodes(image)]


@pytest.fixture(autouse=True)
def _empty_cache() -> Iterator[None]:
    qrcard.clear_cache()
    yield
    qrcard.clear_cache()


def test_card_decodes_to_exactly_the_deep_link() -> None:
    assert decode(make_qr_card(LINK, *CARD)) == [LINK]


@pytest.mark.parametrize(
    "link",
    [
        "https://t.me/ChipinBot?start=" + "A" * 24,
        "https://t.me/ChipinBot?start=0123456789abcdefABCD-_xy",
        "https://t.me/" + "a" * 29 + "bot?start=zZ9-_zZ9-_zZ9-_zZ9-_zZ9-",
    ],
)
def test_links_of_every_length_decode(link: str) -> None:
    assert decode(make_qr_card(link, *CARD)) == [link]


def test_card_is_a_phone_sized_png() -> None:
    png = make_qr_card(LINK, *CARD)
    assert png.startswith(b"\x89PNG\r\n\x1a\n")
    image = Image.open(io.BytesIO(png))
    assert image.width == 800
    assert 800 <= image.height <= 1300
    assert image.getpixel((5, 5)) == 255  # white page
    assert len(png) < 200_000


def test_long_title_takes_two_lines_and_ends_in_an_ellipsis() -> None:
    font = qrcard._font(44, True, False)
    title = "Dinner at Luigi's with everyone from the office and their families " * 3
    lines = wrap(title, font, 720)
    assert len(lines) == 2
    assert lines[0].startswith("Dinner at Luigi's")
    assert lines[1].endswith("…")
    assert all(font.getlength(line) <= 720 for line in lines)


def test_short_title_is_one_line_and_a_word_longer_than_a_line_is_broken() -> None:
    font = qrcard._font(44, True, False)
    assert wrap("Lunch", font, 720) == ["Lunch"]
    lines = wrap("x" * 200, font, 720)
    assert len(lines) == 2
    assert lines[1].endswith("…")


def test_card_with_long_title_still_decodes() -> None:
    png = make_qr_card(LINK, "Trip " * 60, "1,234,567.89 to 1,234,568.00", "KWD", "x" * 200, "")
    assert decode(png) == [LINK]
    assert Image.open(io.BytesIO(png)).width == 800


def test_chinese_texts_never_crash_and_the_code_still_decodes() -> None:
    png = make_qr_card(LINK, "周五晚餐 老地方吃火锅", "40.00", "CNY", "截止：UTC 23:59", "扫码付款")
    assert decode(png) == [LINK]


def test_empty_title_is_fine() -> None:
    assert decode(make_qr_card(LINK, "", "5", "JPY", "", "")) == [LINK]


def test_empty_link_is_a_bug() -> None:
    with pytest.raises(InvariantViolation):
        make_qr_card("", *CARD)


async def test_async_card_is_cached_by_all_inputs(monkeypatch: pytest.MonkeyPatch) -> None:
    calls: list[tuple[str, ...]] = []
    real = qrcard.make_qr_card

    def counting(*args: str) -> bytes:
        calls.append(args)
        return real(*args)

    monkeypatch.setattr(qrcard, "make_qr_card", counting)
    first = await qr_card(LINK, *CARD)
    again = await qr_card(LINK, *CARD)
    other = await qr_card(LINK, *CARD[:-1], "Scan or tap Pay · 7 payers")
    assert again is first
    assert other != first
    assert len(calls) == 2
    assert decode(first) == [LINK]


async def test_cache_forgets_the_least_recently_used(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(qrcard, "_cards", qrcard.PngCache(2))
    monkeypatch.setattr(qrcard, "make_qr_card", lambda *args: "|".join(args).encode())
    a = await qr_card("a", *CARD)
    await qr_card("b", *CARD)
    assert await qr_card("a", *CARD) is a  # touch a: b is now the oldest
    await qr_card("c", *CARD)
    assert await qr_card("a", *CARD) is a
    assert set(qrcard._cards.keys()) == {("a", *CARD), ("c", *CARD)}
