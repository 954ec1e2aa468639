"""The keyring: wraps Chipin's private keys under CHIPIN_SECRET_KEY, and older secrets too.

Each master secret gives one Fernet key through HKDF-SHA256 (info "chipin keyring v1"), so
the master itself is never a data key. The newest master wraps; every master unwraps, which
lets the secret key change: put the old one in CHIPIN_OLD_SECRET_KEYS, re-wrap the stored
keys (trust.keys_sql.rewrap_all), then drop it.
"""

from __future__ import annotations

import base64
from collections.abc import Sequence

from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

from trust.errors import KeyUnavailable

_INFO = b"chipin keyring v1"

_NO_KEY = (
    "no configured secret key opens this wrapped key: CHIPIN_SECRET_KEY differs from the one "
    "it was wrapped under (list earlier keys in CHIPIN_OLD_SECRET_KEYS), or the data is damaged"
)


def _fernet_for(master: bytes) -> Fernet:
    if not master:
        raise ValueError("a keyring master secret must not be empty")
    hkdf = HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=_INFO)
    return Fernet(base64.urlsafe_b64encode(hkdf.derive(master)))


class Keyring:
    """Wraps and unwraps secret bytes; the first master wraps, any master unwraps."""

    __slots__ = ("_fernet",)

    def __init__(self, master: bytes, old_masters: Sequence[bytes] = ()) -> None:
        self._fernet = MultiFernet([_fernet_for(m) for m in (master, *old_masters)])

    def __repr__(self) -> str:
        return "Keyring(<secret>)"

    def wrap(self, secret: bytes) -> str:
        return self._fernet.encrypt(secret).decode("ascii")

    def unwrap(self, wrapped: str) -> bytes:
        try:
            return self._fernet.decrypt(wrapped.encode("ascii"))
        except (InvalidToken, UnicodeEncodeError) as exc:
            raise KeyUnavailable(_NO_KEY) from exc

    def rewrap(self, wrapped: str) -> str:
        """The same secret wrapped under the newest master."""
        try:
            return self._fernet.rotate(wrapped.encode("ascii")).decode("ascii")
        except (InvalidToken, UnicodeEncodeError) as exc:
            raise KeyUnavailable(_NO_KEY) from exc
