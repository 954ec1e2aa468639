"""The pay page's payer cookie: this browser's payer id and the secrets of its recent holds.

Value: `<browser id>` then `.<order token>~<hold secret>` per hold, newest last, at most
MAX_HOLDS (a few hundred bytes). Every part is [A-Za-z0-9_-], so the value needs no
quoting; anything else in it (a cookie of another version, tampering) is dropped, not
trusted: a browser id that does not fit is replaced by a new one.
"""

from __future__ import annotations

import re
import secrets
from dataclasses import dataclass

COOKIE = "chipin_payer"
MAX_AGE_S = 30 * 86400
MAX_HOLDS = 8
_ID = re.compile(r"[A-Za-z0-9_-]{16,64}")
_PART = re.compile(r"[A-Za-z0-9_-]{1,128}")


@dataclass(frozen=True, slots=True)
class PayerCookie:
    browser_id: str
    holds: tuple[tuple[str, str], ...] = ()  # (order token, hold secret), newest last

    @classmethod
    def read(cls, value: str | None) -> PayerCookie:
        """The cookie as the browser sent it; a new browser id when there is none fit."""
        first, *rest = (value or "").split(".")
        if not _ID.fullmatch(first):
            return cls(secrets.token_urlsafe(16))
        holds = []
        for item in rest[-MAX_HOLDS:]:
            token, _, secret = item.partition("~")
            if _PART.fullmatch(token) and _PART.fullmatch(secret):
                holds.append((token, secret))
        return cls(first, tuple(holds))

    def secret_for(self, token: str) -> str | None:
        return next((s for t, s in reversed(self.holds) if t == token), None)

    def with_hold(self, token: str, secret: str) -> PayerCookie:
        """The cookie that also keeps this hold's secret (replacing an older one of the order)."""
        kept = [(t, s) for t, s in self.holds if t != token]
        return PayerCookie(self.browser_id, (*kept, (token, secret))[-MAX_HOLDS:])

    def value(self) -> str:
        return ".".join([self.browser_id, *(f"{t}~{s}" for t, s in self.holds)])
