"""A tree-head signer over HMAC-SHA256: enough for engine tests (trust/ has the real one)."""

from __future__ import annotations

import hashlib
import hmac


class FakeSigner:
    """Signs tree heads with HMAC-SHA256: enough for engine tests; trust/ has the real one."""

    key_id = "fake-signer"

    def __init__(self, key: bytes = b"k" * 32) -> None:
        self._key = key

    def sign(self, message: bytes) -> bytes:
        return hmac.new(self._key, message, hashlib.sha256).digest()

    def verify(self, message: bytes, signature: bytes) -> bool:
        return hmac.compare_digest(self.sign(message), signature)
