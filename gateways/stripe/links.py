"""Pay-page links: an unguessable token that names one PaymentIntent, signed with our key."""

from __future__ import annotations

import base64
import hashlib
import hmac
import re

_MIN_KEY_BYTES = 16
_MAC_CHARS = 32  # 192 bits of HMAC-SHA256, base64url
_TOKEN = re.compile(r"(pi_[A-Za-z0-9]{1,100})\.([A-Za-z0-9_-]{32})")


class PayLinks:
    """`<PaymentIntent id>.<MAC>`: only Chipin can make one, so a PaymentIntent id alone is
    not enough to open its pay page (and see its client secret)."""

    def __init__(self, key: bytes) -> None:
        if len(key) < _MIN_KEY_BYTES:
            raise ValueError(f"the pay-link key needs at least {_MIN_KEY_BYTES} bytes")
        self._key = key

    def token(self, intent_id: str) -> str:
        token = f"{intent_id}.{self._mac(intent_id)}"
        if not _TOKEN.fullmatch(token):
            raise ValueError("not a PaymentIntent id")
        return token

    def intent_of(self, token: str) -> str | None:
        """The PaymentIntent id the token was made for, or None if it is not one of ours."""
        match = _TOKEN.fullmatch(token)
        if match is None:
            return None
        intent_id, mac = match.groups()
        if not hmac.compare_digest(mac.encode(), self._mac(intent_id).encode()):
            return None
        return intent_id

    def _mac(self, intent_id: str) -> str:
        digest = hmac.new(self._key, b"chipin-stripe-pay:" + intent_id.encode(), hashlib.sha256)
        return base64.urlsafe_b64encode(digest.digest()).decode()[:_MAC_CHARS]
