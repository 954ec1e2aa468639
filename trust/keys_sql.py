"""The trust_keys table: rows to and from keys and certificates, and the SQL over it."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from cryptography import x509
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from storage.tables import trust_keys
from trust.errors import TrustStoreBroken
from trust.keyring import Keyring

_T = trust_keys.c


@dataclass(frozen=True, slots=True)
class KeyRow:
    """One stored key: its certificate (PEM, public) and its private part, wrapped."""

    id: str
    purpose: str
    created_at: datetime
    retired_at: datetime | None
    certificate: str | None
    wrapped_key: str

    def __repr__(self) -> str:  # the wrapped key stays out of logs and tracebacks
        return f"KeyRow(id={self.id!r}, purpose={self.purpose!r}, retired_at={self.retired_at!r})"


def numbered_id(prefix: str, n: int) -> str:
    """Ids that sort in creation order as text: 'signing-000001'."""
    return f"{prefix}-{n:06d}"


def number_of(row_id: str) -> int:
    return int(row_id.rpartition("-")[2])


def raw_public(item: x509.Certificate | Ed25519PrivateKey) -> bytes:
    """The raw public key of a certificate or a private key, to check that they match."""
    raw = serialization.Encoding.Raw, serialization.PublicFormat.Raw
    return item.public_key().public_bytes(*raw)


def wrap_private(keyring: Keyring, key: Ed25519PrivateKey) -> str:
    der = key.private_bytes(
        serialization.Encoding.DER,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),  # the keyring's Fernet layer is the encryption
    )
    return keyring.wrap(der)


def unwrap_private(keyring: Keyring, row: KeyRow) -> Ed25519PrivateKey:
    der = keyring.unwrap(row.wrapped_key)
    try:
        key = serialization.load_der_private_key(der, password=None)
    except ValueError as exc:
        raise TrustStoreBroken(f"key {row.id} is not a PKCS8 private key") from exc
    if not isinstance(key, Ed25519PrivateKey):
        raise TrustStoreBroken(f"key {row.id} is not an Ed25519 key")
    return key


def certificate_of(row: KeyRow) -> x509.Certificate:
    if row.certificate is None:
        raise TrustStoreBroken(f"key {row.id} has no certificate")
    try:
        return x509.load_pem_x509_certificate(row.certificate.encode("ascii"))
    except ValueError as exc:
        raise TrustStoreBroken(f"key {row.id} has an unreadable certificate") from exc


async def insert_if_absent(conn: AsyncConnection, row: KeyRow) -> bool:
    """INSERT ... ON CONFLICT (id) DO NOTHING; False when a row with that id exists.

    On PostgreSQL a conflicting insert from a transaction still open waits for it to end,
    so two processes creating the same fixed id end with exactly one row, no error.
    """
    values = {
        "id": row.id,
        "purpose": row.purpose,
        "created_at": row.created_at,
        "retired_at": row.retired_at,
        "certificate": row.certificate,
        "wrapped_key": row.wrapped_key,
    }
    dialect: Any = postgresql if conn.dialect.name == "postgresql" else sqlite
    stmt = (
        dialect.insert(trust_keys)
        .values(values)
        .on_conflict_do_nothing(index_elements=[_T.id])
        .returning(_T.id)
    )
    return (await conn.execute(stmt)).first() is not None


async def rows_of(conn: AsyncConnection, purpose: str) -> list[KeyRow]:
    """Every row of one purpose, oldest id first."""
    stmt = sa.select(trust_keys).where(_T.purpose == purpose).order_by(_T.id)
    return [KeyRow(**dict(r)) for r in (await conn.execute(stmt)).mappings()]


async def retire(conn: AsyncConnection, row_id: str, now: datetime) -> bool:
    """Mark a current row retired; False when it was already retired (a concurrent rotation)."""
    stmt = (
        sa.update(trust_keys)
        .where(_T.id == row_id, _T.retired_at.is_(None))
        .values(retired_at=now)
        .returning(_T.id)
    )
    return (await conn.execute(stmt)).first() is not None


async def rewrap_all(db: AsyncEngine, keyring: Keyring) -> int:
    """Re-wrap every stored key under the keyring's newest master; returns the row count.

    Run after changing CHIPIN_SECRET_KEY (with the old one in CHIPIN_OLD_SECRET_KEYS); once
    it has run, the old secret can be dropped from the settings.
    """
    async with db.begin() as conn:
        rows = (await conn.execute(sa.select(_T.id, _T.wrapped_key))).all()
        for row_id, wrapped in rows:
            fresh = keyring.rewrap(wrapped)  # all or nothing: one row that fails rolls back
            await conn.execute(
                sa.update(trust_keys).where(_T.id == row_id).values(wrapped_key=fresh)
            )
    return len(rows)
