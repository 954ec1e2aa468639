"""`chipin codes print`: the A4 sheet has the codes asked for, each decoding to its own link."""

from __future__ import annotations

import io
import re
import sqlite3
from pathlib import Path

import pytest
import zxingcpp
from PIL import Image

from bot.views.sheets import Sticker, sheet_pdf
from tests.support.procs import chipin, chipin_env, free_port

_STREAM = re.compile(rb"/Filter /DCTDecode.*?stream\r?\n(.*?)\r?\nendstream", re.S)
_MEDIA = re.compile(rb"/MediaBox \[ ?0 0 ([0-9.]+) ([0-9.]+) ?\]")


def pdf_pages(pdf: bytes) -> list[Image.Image]:
    """The page images of a PDF Pillow wrote (one JPEG per page)."""
    return [Image.open(io.BytesIO(m)) for m in _STREAM.findall(pdf)]


def decoded(pages: list[Image.Image]) -> list[str]:
    return [r.text for page in pages for r in zxingcpp.read_barcodes(page)]


def test_print_makes_an_a4_sheet_whose_codes_decode_to_their_own_deep_links(
    tmp_path: Path,
) -> None:
    env = chipin_env(tmp_path, free_port())
    chipin(env, "migrate")
    out, pngs = tmp_path / "codes.pdf", tmp_path / "png"
    printed = chipin(
        env,
        "codes",
        "print",
        "--count",
        "24",
        "--out",
        str(out),
        "--png-dir",
        str(pngs),
        "--bot",
        "chipin_test_bot",
    )
    labels = printed.splitlines()[1:]
    assert len(labels) == 24
    pdf = out.read_bytes()
    sizes = {(float(w), float(h)) for w, h in _MEDIA.findall(pdf)}
    assert sizes == {(595.2, 841.92)}  # A4 in points
    links = decoded(pdf_pages(pdf))
    with sqlite3.connect(tmp_path / "chipin.db") as db:
        rows = db.execute("SELECT token, short, state FROM static_codes").fetchall()
    assert len(rows) == 24
    assert {state for _t, _s, state in rows} == {"unbound"}
    assert sorted(links) == sorted(
        f"https://t.me/chipin_test_bot?start=s_{t}" for t, _s, _st in rows
    )
    assert all(len(t) >= 22 for t, _s, _st in rows)  # >= 128 random bits of [A-Za-z0-9_-]
    assert sorted(f"{s[:4]}-{s[4:]}" for _t, s, _st in rows) == sorted(labels)
    png_links = {p.stem: decoded([Image.open(p)]) for p in pngs.glob("*.png")}
    assert sorted(png_links) == sorted(labels)
    by_short = {f"{s[:4]}-{s[4:]}": t for t, s, _st in rows}
    for label, found in png_links.items():
        assert found == [f"https://t.me/chipin_test_bot?start=s_{by_short[label]}"]


def test_more_codes_than_a_page_holds_go_on_more_pages() -> None:
    stickers = [Sticker(f"https://t.me/b?start=s_{i:024d}", f"AAAA-{i:04d}") for i in range(30)]
    pages = pdf_pages(sheet_pdf(stickers))
    assert len(pages) == 2
    assert len(decoded(pages)) == 30


@pytest.mark.parametrize("count", ["0", "501"])
def test_a_bad_count_is_refused_and_nothing_is_written(tmp_path: Path, count: str) -> None:
    env = chipin_env(tmp_path, free_port())
    out = tmp_path / "codes.pdf"
    with pytest.raises(AssertionError, match="print 1 to 500 codes at a time"):
        chipin(env, "codes", "print", "--count", count, "--out", str(out), "--bot", "b")
    assert not out.exists()
