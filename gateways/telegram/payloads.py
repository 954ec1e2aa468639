"""Invoice payloads: the checkout reference names the sub-order hold, signed with our key.

`t1.<sub-order id>.<hold tag>.<amount>.<currency>.<MAC>`, at most 128 bytes (Telegram's
limit). The hold tag comes from the checkout's idempotency key, so each hold of a part
gets its own payload (an invoice from a lapsed hold no longer matches the part), and the
same hold always gets the same one. Only Chipin can make a payload: the sub-order id in
it can be trusted once the MAC checks out.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import re

from core.ports.invoices import InvoiceRef

MAX_BYTES = 128
VERSION = "t1"
_MIN_KEY_BYTES = 16
_MAC_CHARS = 22  # 132 bits of HMAC-SHA256, base64url
_TAG_CHARS = 10
_PAYLOAD = re.compile(
    r"t1\.([A-Za-z0-9_-]{1,64})\.([A-Za-z0-9_-]{10})\.([1-9][0-9]{0,17})\.([A-Z]{3})"
    r"\.([A-Za-z0-9_-]{22})"
)


class Payloads:
    def __init__(self, key: bytes) -> None:
        if len(key) < _MIN_KEY_BYTES:
            raise ValueError(f"the invoice payload key needs at least {_MIN_KEY_BYTES} bytes")
        self._key = key

    def make(
        self, sub_order_id: str, idempotency_key: str, amount_minor: int, currency: str
    ) -> str:
        """The payload of one hold's invoice; ValueError if it cannot be one."""
        tag = _b64(hashlib.sha256(idempotency_key.encode()).digest())[:_TAG_CHARS]
        body = f"{VERSION}.{sub_order_id}.{tag}.{amount_minor}.{currency}"
        payload = f"{body}.{self._mac(body)}"
        if len(payload.encode()) > MAX_BYTES or not _PAYLOAD.fullmatch(payload):
            raise ValueError("the sub-order cannot be named in an invoice payload")
        return payload

    def read(self, payload: str) -> InvoiceRef | None:
        """The part a payload names, or None if Chipin did not make it."""
        match = _PAYLOAD.fullmatch(payload)
        if match is None:
            return None
        body, mac = payload.rsplit(".", 1)
        if not hmac.compare_digest(mac.encode(), self._mac(body).encode()):
            return None
        sub_order_id, _tag, amount, currency, _mac = match.groups()
        return InvoiceRef(sub_order_id, int(amount), currency)

    def _mac(self, body: str) -> str:
        digest = hmac.new(self._key, b"chipin-telegram-invoice\x00" + body.encode(), hashlib.sha256)
        return _b64(digest.digest())[:_MAC_CHARS]


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).decode().rstrip("=")
