"""Personal data at rest: a keyed blind index to find a person's rows, and sealed values.

Two kinds of data key live in trust_keys, wrapped by the keyring:
- "pii-index": one key, forever. The index is HMAC-SHA256(key, value); rows are found by
  recomputing it, so a new index key would orphan every stored index. Rotating it means
  re-indexing every row from its sealed value in one migration, not a key swap.
- "pii-seal": Fernet keys, newest first. The newest seals; all of them open, so older rows
  stay readable after `rotate_seal_key`; re-sealing rows under the new key (Sealer.rotate)
  is done by whoever owns those rows.
"""

from __future__ import annotations

import hashlib
import hmac
import logging
import secrets
from collections.abc import Sequence
from datetime import datetime

from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from sqlalchemy.ext.asyncio import AsyncEngine

from trust import keys_sql
from trust.errors import KeyUnavailable, TrustStoreBroken
from trust.keyring import Keyring
from trust.keys_sql import KeyRow

log = logging.getLogger(__name__)

INDEX_PURPOSE = "pii-index"
SEAL_PURPOSE = "pii-seal"
INDEX_ID = "pii-index"

_NO_KEY = "no personal-data seal key opens this value (a missing older key, or damaged data)"


class Sealer:
    """Implements core.ports.store.Sealer with an HMAC index key and Fernet keys (newest first)."""

    __slots__ = ("_fernet", "_index_key")

    def __init__(self, index_key: bytes, fernet_keys: Sequence[bytes]) -> None:
        if len(index_key) < 32:
            raise ValueError("the blind-index key must be at least 32 bytes")
        if not fernet_keys:
            raise ValueError("a Sealer needs at least one seal key")
        self._index_key = index_key
        self._fernet = MultiFernet([Fernet(k) for k in fernet_keys])

    def __repr__(self) -> str:
        return "Sealer(<keys>)"

    def index(self, value: str) -> str:
        """A deterministic, key-dependent stand-in for `value`: 64 hex characters."""
        return hmac.new(self._index_key, value.encode(), hashlib.sha256).hexdigest()

    def seal(self, value: str) -> str:
        return self._fernet.encrypt(value.encode()).decode("ascii")

    def open(self, token: str) -> str:
        try:
            return self._fernet.decrypt(token.encode("ascii")).decode()
        except (InvalidToken, UnicodeEncodeError) as exc:
            raise KeyUnavailable(_NO_KEY) from exc

    def rotate(self, token: str) -> str:
        """The same value sealed under the newest key."""
        try:
            return self._fernet.rotate(token.encode("ascii")).decode("ascii")
        except (InvalidToken, UnicodeEncodeError) as exc:
            raise KeyUnavailable(_NO_KEY) from exc


def _row(row_id: str, purpose: str, secret: bytes, keyring: Keyring, now: datetime) -> KeyRow:
    return KeyRow(row_id, purpose, now, None, None, keyring.wrap(secret))


async def open_sealer(db: AsyncEngine, keyring: Keyring, now: datetime) -> Sealer:
    """The Sealer over the stored data keys, creating them on first run (race-safe)."""
    index_row = _row(INDEX_ID, INDEX_PURPOSE, secrets.token_bytes(32), keyring, now)
    seal_id = keys_sql.numbered_id(SEAL_PURPOSE, 1)
    seal_row = _row(seal_id, SEAL_PURPOSE, Fernet.generate_key(), keyring, now)
    async with db.begin() as conn:
        # Fixed ids: concurrent first runs insert the same rows, and one of each survives.
        if await keys_sql.insert_if_absent(conn, index_row):
            log.info("created the personal-data index key")
        if await keys_sql.insert_if_absent(conn, seal_row):
            log.info("created personal-data seal key %s", seal_id)
    return await load_sealer(db, keyring)


async def load_sealer(db: AsyncEngine, keyring: Keyring) -> Sealer:
    async with db.begin() as conn:
        index_rows = await keys_sql.rows_of(conn, INDEX_PURPOSE)
        seal_rows = await keys_sql.rows_of(conn, SEAL_PURPOSE)
    if len(index_rows) != 1 or not seal_rows:
        raise TrustStoreBroken("the personal-data keys are missing from trust_keys")
    if seal_rows[-1].retired_at is not None:
        raise TrustStoreBroken("the newest personal-data seal key is marked retired")
    seal_keys = [keyring.unwrap(r.wrapped_key) for r in reversed(seal_rows)]
    return Sealer(keyring.unwrap(index_rows[0].wrapped_key), seal_keys)


async def rotate_seal_key(db: AsyncEngine, keyring: Keyring, now: datetime) -> Sealer:
    """Add a new current seal key; older keys are kept (retired) so older rows still open."""
    async with db.begin() as conn:
        rows = await keys_sql.rows_of(conn, SEAL_PURPOSE)
        if not rows:
            raise TrustStoreBroken("no personal-data seal key to rotate: open the sealer first")
        new_id = keys_sql.numbered_id(SEAL_PURPOSE, keys_sql.number_of(rows[-1].id) + 1)
        new_row = _row(new_id, SEAL_PURPOSE, Fernet.generate_key(), keyring, now)
        # A concurrent rotation that took the same id already added a newer key: keep its.
        if await keys_sql.insert_if_absent(conn, new_row):
            for row in rows:
                if row.retired_at is None:
                    await keys_sql.retire(conn, row.id, now)
            log.info("rotated the personal-data seal key: %s is current", new_id)
    return await load_sealer(db, keyring)
