"""Slow salted hashes for passwords and PINs (scrypt + a server-side pepper), checked safely."""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets
from dataclasses import dataclass, replace


@dataclass(frozen=True, slots=True)
class ScryptParams:
    log2_n: int = 15
    r: int = 8
    p: int = 3  # OWASP: N=2^15 with p=3 costs the same as N=2^17 with p=1


FAST_FOR_TESTS = ScryptParams(log2_n=10, r=8, p=1)

MAX_MEMORY_BYTES = 256 * 1024 * 1024  # scrypt's maxmem: more is refused, not swapped


def scrypt_memory(p: ScryptParams) -> int:
    """The bytes one hash needs, as OpenSSL counts them against maxmem: 128·r·(N + 2) for
    its V array and 128·r·p for B (tests/core check this against hashlib.scrypt)."""
    return 128 * p.r * ((1 << p.log2_n) + 2) + 128 * p.r * p.p


def largest_cost(base: ScryptParams | None = None) -> int:
    """The largest log2 N whose hash fits in MAX_MEMORY_BYTES, with the r and p of `base`."""
    p = base or ScryptParams()
    log2_n = 1
    while scrypt_memory(replace(p, log2_n=log2_n + 1)) <= MAX_MEMORY_BYTES:
        log2_n += 1
    return log2_n


class PasswordHasher:
    """`hash` and `verify` are CPU-bound: call them off the event loop (asyncio.to_thread)."""

    def __init__(self, pepper: bytes, params: ScryptParams | None = None) -> None:
        """ValueError for parameters whose every hash would fail (over the memory cap)."""
        self._pepper = pepper
        self._params = params or ScryptParams()
        if scrypt_memory(self._params) > MAX_MEMORY_BYTES:
            raise ValueError(f"scrypt cost {self._params.log2_n} is over the memory cap")

    def _derive(self, secret: str, salt: bytes, p: ScryptParams) -> bytes:
        peppered = hmac.new(self._pepper, secret.encode(), hashlib.sha256).digest()
        return hashlib.scrypt(
            peppered, salt=salt, n=2**p.log2_n, r=p.r, p=p.p, maxmem=MAX_MEMORY_BYTES, dklen=32
        )

    def hash(self, secret: str) -> str:
        """'scrypt$<log2n>$<r>$<p>$<salt b64>$<hash b64>'; the salt is 16 random bytes."""
        p = self._params
        salt = secrets.token_bytes(16)
        digest = self._derive(secret, salt, p)
        return "$".join(["scrypt", str(p.log2_n), str(p.r), str(p.p), _b64(salt), _b64(digest)])

    def verify(self, secret: str, stored: str) -> bool:
        try:
            scheme, log2_n, r, p, salt, digest = stored.split("$")
            params = ScryptParams(int(log2_n), int(r), int(p))
        except ValueError:
            return False
        if scheme != "scrypt":
            return False
        actual = self._derive(secret, _unb64(salt), params)
        return hmac.compare_digest(actual, _unb64(digest))


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).decode().rstrip("=")


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def hash_api_key(key: str) -> str:
    """API keys are 256-bit random, so one SHA-256 is enough to store them safely."""
    return hashlib.sha256(key.encode()).hexdigest()
