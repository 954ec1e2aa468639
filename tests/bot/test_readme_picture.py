"""docs/picture.py draws the README's picture with the bot's own card and progress text."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from PIL import Image

SCRIPT = Path(__file__).resolve().parents[2] / "docs" / "picture.py"


def test_picture_script_writes_a_png_of_card_and_message(tmp_path: Path) -> None:
    out = tmp_path / "chipin.png"
    subprocess.run([sys.executable, str(SCRIPT), str(out)], check=True, timeout=60)
    with Image.open(out) as image:
        assert image.format == "PNG"
        assert image.width > image.height > 300
    assert out.stat().st_size < 150_000
