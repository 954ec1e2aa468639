"""QR code images of payment links: rendered off the event loop, kept in a small LRU cache."""

from __future__ import annotations

import asyncio
import io
from collections import OrderedDict

import qrcode
from qrcode.constants import ERROR_CORRECT_M

BOX_SIZE = 10
BORDER = 4


def render_png(text: str) -> bytes:
    """A scannable PNG of `text`: error correction M, 10 px modules, the standard border."""
    code = qrcode.QRCode(error_correction=ERROR_CORRECT_M, box_size=BOX_SIZE, border=BORDER)
    code.add_data(text)
    code.make(fit=True)
    out = io.BytesIO()
    code.make_image().save(out)
    return out.getvalue()


class QrCache:
    """PNG bytes per order token; rendering is CPU work, so it runs in a worker thread."""

    def __init__(self, size: int = 256) -> None:
        if size < 1:
            raise ValueError("the QR cache needs room for at least one image")
        self._size = size
        self._items: OrderedDict[str, bytes] = OrderedDict()

    async def png(self, token: str, text: str) -> bytes:
        hit = self._items.get(token)
        if hit is not None:
            self._items.move_to_end(token)
            return hit
        image = await asyncio.to_thread(render_png, text)
        self._items[token] = image
        while len(self._items) > self._size:
            self._items.popitem(last=False)
        return image

    def __len__(self) -> int:
        return len(self._items)
