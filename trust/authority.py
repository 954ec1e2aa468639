"""Chipin's signing authority: the root CA and head-signing keys, kept in trust_keys.

Rows: "root" (purpose "ca-root") and "signing-000001", "signing-000002", ... (purpose
"head-signing"), each with its certificate in PEM and its private key as PKCS8 DER wrapped
by the keyring. Exactly one signing row is current (retired_at NULL); retired ones stay,
so heads they signed remain verifiable.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from cryptography import x509
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from core.domain.ledger.entries import SignedHead
from trust import ca, keys_sql
from trust.errors import ChainInvalid, TrustError, TrustStoreBroken
from trust.heads import verify_head
from trust.keyring import Keyring
from trust.keys_sql import KeyRow

log = logging.getLogger(__name__)

ROOT_ID = "root"
ROOT_PURPOSE = "ca-root"
SIGNING_PURPOSE = "head-signing"
SIGNING_PREFIX = "signing"


@dataclass(frozen=True, slots=True)
class SigningCert:
    cert: x509.Certificate
    created_at: datetime
    retired_at: datetime | None

    @property
    def current(self) -> bool:
        return self.retired_at is None

    @property
    def key_id(self) -> str:
        return ca.fingerprint(self.cert)


class Authority:
    """The root, every signing certificate, and the current signing key: a HeadSigner."""

    __slots__ = ("_key", "root", "signing")

    def __init__(
        self, root: x509.Certificate, signing: Sequence[SigningCert], key: Ed25519PrivateKey
    ) -> None:
        currents = [s for s in signing if s.current]
        if len(currents) != 1:
            raise TrustStoreBroken(f"{len(currents)} current signing certificates, not 1")
        if keys_sql.raw_public(currents[0].cert) != keys_sql.raw_public(key):
            raise TrustStoreBroken("the current signing key does not match its certificate")
        self.root = root
        self.signing = tuple(signing)
        self._key = key

    def __repr__(self) -> str:
        return f"Authority(root={ca.fingerprint(self.root)}, key_id={self.key_id})"

    @property
    def current(self) -> SigningCert:
        return next(s for s in self.signing if s.current)

    @property
    def key_id(self) -> str:
        return self.current.key_id

    @property
    def certificates(self) -> list[x509.Certificate]:
        """Every signing certificate, oldest first."""
        return [s.cert for s in self.signing]

    def sign(self, message: bytes) -> bytes:
        return self._key.sign(message)

    def verify(self, signed: SignedHead) -> None:
        verify_head(signed, self.root, self.certificates)

    def chain_pem(self) -> str:
        """The root, then every signing certificate oldest first (trust.ca.load_chain reads it)."""
        return "".join(ca.to_pem(c) for c in (self.root, *self.certificates))

    def describe(self) -> list[str]:
        """Lines for `chipin ca show`."""
        lines = _describe("root CA", self.root)
        for s in self.signing:
            state = "current" if s.current else f"retired {_when(s.retired_at)}"
            lines += _describe(f"signing ({state})", s.cert)
        return lines


def _describe(title: str, cert: x509.Certificate) -> list[str]:
    return [
        f"{title}: {cert.subject.rfc4514_string()}",
        f"  serial   {cert.serial_number:x}",
        f"  valid    {_when(cert.not_valid_before_utc)} to {_when(cert.not_valid_after_utc)}",
        f"  sha256   {ca.fingerprint(cert)}",
    ]


def _when(at: datetime | None) -> str:
    return at.strftime("%Y-%m-%d %H:%M:%SZ") if at else "-"


def _row(
    row_id: str, cert: x509.Certificate, key: Ed25519PrivateKey, keyring: Keyring, now: datetime
) -> KeyRow:
    purpose = ROOT_PURPOSE if row_id == ROOT_ID else SIGNING_PURPOSE
    return KeyRow(row_id, purpose, now, None, ca.to_pem(cert), keys_sql.wrap_private(keyring, key))


async def open_authority(db: AsyncEngine, keyring: Keyring, now: datetime) -> Authority:
    """The authority, with a new root and first signing certificate on first run.

    Race-safe: the root has a fixed id and is inserted if absent together with its first
    signing certificate, so processes starting at once end with one root; all then load.
    """
    async with db.begin() as conn:
        if not await keys_sql.rows_of(conn, ROOT_PURPOSE):
            await _create(conn, keyring, now)
    return await load_authority(db, keyring)


async def _create(conn: AsyncConnection, keyring: Keyring, now: datetime) -> None:
    root_key, root_cert = ca.new_root(now)
    key, cert = ca.issue_signing(root_key, root_cert, now, 1)
    root_row = _row(ROOT_ID, root_cert, root_key, keyring, now)
    if not await keys_sql.insert_if_absent(conn, root_row):
        return  # another process created it first
    signing_id = keys_sql.numbered_id(SIGNING_PREFIX, 1)
    signing_row = _row(signing_id, cert, key, keyring, now)
    await keys_sql.insert_if_absent(conn, signing_row)
    log.info("created root CA %s, signing key %s", ca.fingerprint(root_cert), ca.fingerprint(cert))


async def load_certificates(db: AsyncEngine) -> tuple[x509.Certificate, list[x509.Certificate]]:
    """The root and every signing certificate, oldest first: public, no key is unwrapped."""
    async with db.begin() as conn:
        roots = await keys_sql.rows_of(conn, ROOT_PURPOSE)
        rows = await keys_sql.rows_of(conn, SIGNING_PURPOSE)
    if [r.id for r in roots] != [ROOT_ID] or not rows:
        raise TrustStoreBroken("the root CA or its signing certificates are missing")
    return keys_sql.certificate_of(roots[0]), [keys_sql.certificate_of(r) for r in rows]


async def load_authority(db: AsyncEngine, keyring: Keyring) -> Authority:
    async with db.begin() as conn:
        roots = await keys_sql.rows_of(conn, ROOT_PURPOSE)
        rows = await keys_sql.rows_of(conn, SIGNING_PURPOSE)
    if [r.id for r in roots] != [ROOT_ID] or not rows:
        raise TrustStoreBroken("the root CA or its signing certificates are missing")
    root = keys_sql.certificate_of(roots[0])
    signing = [SigningCert(keys_sql.certificate_of(r), r.created_at, r.retired_at) for r in rows]
    for row, s in zip(rows, signing, strict=True):
        try:  # issued by this root, judged at the start of its own validity
            ca.verify_chain(s.cert, root, s.cert.not_valid_before_utc)
        except ChainInvalid as exc:
            raise TrustStoreBroken(f"signing certificate {row.id}: {exc.reason}") from exc
    current = [r for r in rows if r.retired_at is None]
    if len(current) != 1:
        raise TrustStoreBroken(f"{len(current)} current signing keys, not 1")
    return Authority(root, signing, keys_sql.unwrap_private(keyring, current[0]))


class _RotatedMeanwhile(TrustError):
    pass


async def rotate(db: AsyncEngine, keyring: Keyring, now: datetime) -> Authority:
    """Issue a new current signing certificate from the root; retire (and keep) the old one."""
    try:
        async with db.begin() as conn:
            await _rotate_in(conn, keyring, now)
    except _RotatedMeanwhile:
        log.warning("another process rotated the signing key at the same time; using its key")
    return await load_authority(db, keyring)


async def _rotate_in(conn: AsyncConnection, keyring: Keyring, now: datetime) -> None:
    roots = await keys_sql.rows_of(conn, ROOT_PURPOSE)
    rows = await keys_sql.rows_of(conn, SIGNING_PURPOSE)
    if not roots or not rows:
        raise TrustStoreBroken("no signing authority to rotate yet: start Chipin once first")
    root_cert = keys_sql.certificate_of(roots[0])
    root_key = keys_sql.unwrap_private(keyring, roots[0])
    if keys_sql.raw_public(root_key) != keys_sql.raw_public(root_cert):
        raise TrustStoreBroken("the root key does not match the root certificate")
    n = keys_sql.number_of(rows[-1].id) + 1
    key, cert = ca.issue_signing(root_key, root_cert, now, n)
    for row in rows:
        # Conditional: of two rotations at once, the second finds nothing to retire.
        if row.retired_at is None and not await keys_sql.retire(conn, row.id, now):
            raise _RotatedMeanwhile
    new_id = keys_sql.numbered_id(SIGNING_PREFIX, n)
    if not await keys_sql.insert_if_absent(conn, _row(new_id, cert, key, keyring, now)):
        raise _RotatedMeanwhile
    log.info("rotated the signing key: %s is current (%s)", ca.fingerprint(cert), new_id)
