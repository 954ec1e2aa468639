"""Links that name one Stripe object: an unguessable token, signed with our key.

`<id>.<MAC>`: only Chipin can make one, so an object's id alone is not enough to open its page
(a pay page shows a PaymentIntent's client secret; a payout page acts on a payee's account).
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import re
import time
from collections.abc import Callable

_MIN_KEY_BYTES = 16
_MAC_CHARS = 32  # 192 bits of HMAC-SHA256, base64url


class SignedIds:
    """Tokens for ids of one kind (`prefix`: 'pi', 'acct'), for one purpose."""

    def __init__(self, key: bytes, purpose: str, prefix: str) -> None:
        if len(key) < _MIN_KEY_BYTES:
            raise ValueError(f"the link key needs at least {_MIN_KEY_BYTES} bytes")
        self._key = key
        self._purpose = purpose.encode()
        self._token = re.compile(rf"({prefix}_[A-Za-z0-9]{{1,100}})\.([A-Za-z0-9_-]{{32}})")

    def token(self, object_id: str) -> str:
        token = f"{object_id}.{self._mac(object_id)}"
        if not self._token.fullmatch(token):
            raise ValueError("not an id of this kind")
        return token

    def id_of(self, token: str) -> str | None:
        """The id the token was made for, or None if it is not one of ours."""
        match = self._token.fullmatch(token)
        if match is None:
            return None
        object_id, mac = match.groups()
        if not hmac.compare_digest(mac.encode(), self._mac(object_id).encode()):
            return None
        return object_id

    def _mac(self, object_id: str) -> str:
        digest = hmac.new(self._key, self._purpose + b":" + object_id.encode(), hashlib.sha256)
        return base64.urlsafe_b64encode(digest.digest()).decode()[:_MAC_CHARS]


class PayLinks(SignedIds):
    """Pay-page links: a token that names one PaymentIntent."""

    def __init__(self, key: bytes) -> None:
        super().__init__(key, "chipin-stripe-pay", "pi")

    def intent_of(self, token: str) -> str | None:
        return self.id_of(token)


class AccountLinks(SignedIds):
    """The return and refresh pages of a payee's Stripe sign-up: a token that names the account
    and when it stops working (`<acct id>.<unix time>.<MAC>`), so a leaked page address cannot
    make sign-up links for the account for ever; the payee sends /payouts for a new one."""

    VALID_S = 24 * 3600
    _TOKEN = re.compile(r"(acct_[A-Za-z0-9]{1,100})\.([0-9]{1,12})\.([A-Za-z0-9_-]{32})")

    def __init__(self, key: bytes, clock: Callable[[], float] = time.time) -> None:
        super().__init__(key, "chipin-stripe-account", "acct")
        self._clock = clock

    def token(self, object_id: str) -> str:
        until = int(self._clock()) + self.VALID_S
        signed = f"{object_id}.{until}"
        token = f"{signed}.{self._mac(signed)}"
        if not self._TOKEN.fullmatch(token):
            raise ValueError("not an account id")
        return token

    def id_of(self, token: str) -> str | None:
        """The account, while the token is ours and has not run out; else None."""
        match = self._TOKEN.fullmatch(token)
        if match is None:
            return None
        account_id, until, mac = match.groups()
        if not hmac.compare_digest(mac.encode(), self._mac(f"{account_id}.{until}").encode()):
            return None
        if int(until) < self._clock():
            return None
        return account_id
