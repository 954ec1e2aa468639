"""The signing authority in the database: first run, reload, races, rotation, wrapped keys."""

from __future__ import annotations

import asyncio
import base64
import logging
from datetime import timedelta

import pytest
import sqlalchemy as sa
from cryptography import x509
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from sqlalchemy.ext.asyncio import AsyncEngine

from core.ports.store import HeadSigner
from storage.db import make_engine
from storage.tables import trust_keys
from tests.support.trust_builders import sign_head
from tests.trust.conftest import MASTER, OLD_MASTER, T0
from trust import ca
from trust.authority import Authority, load_authority, open_authority, rotate
from trust.errors import KeyUnavailable, TrustStoreBroken
from trust.heads import verify_head
from trust.keyring import Keyring
from trust.keys_sql import rewrap_all

DAY = timedelta(days=1)


async def _rows(db: AsyncEngine) -> list[sa.RowMapping]:
    async with db.connect() as conn:
        stmt = sa.select(trust_keys).order_by(trust_keys.c.id)
        return list((await conn.execute(stmt)).mappings())


def _same(a: Authority, b: Authority) -> bool:
    return (a.root, a.certificates, a.key_id) == (b.root, b.certificates, b.key_id)


async def test_first_run_creates_a_root_and_a_signing_key_and_reload_is_identical(
    engine: AsyncEngine, keyring: Keyring
) -> None:
    first = await open_authority(engine, keyring, T0)
    again = await open_authority(engine, keyring, T0 + DAY)
    assert _same(first, again)
    assert _same(first, await load_authority(engine, keyring))
    assert [(r["id"], r["purpose"]) for r in await _rows(engine)] == [
        ("root", "ca-root"),
        ("signing-000001", "head-signing"),
    ]
    assert first.key_id == ca.fingerprint(first.certificates[0])
    ca.verify_chain(first.current.cert, first.root, T0)


async def test_processes_starting_at_once_end_with_one_root(db_url: str, keyring: Keyring) -> None:
    engines = [make_engine(db_url) for _ in range(2)]
    try:
        opened = await asyncio.gather(
            *(open_authority(e, keyring, T0) for e in engines for _ in range(3))
        )
        assert all(_same(opened[0], a) for a in opened)
        assert len(await _rows(engines[0])) == 2
    finally:
        for e in engines:
            await e.dispose()


async def test_wrapped_keys_in_the_database_hide_the_pkcs8_key(
    engine: AsyncEngine, keyring: Keyring
) -> None:
    await open_authority(engine, keyring, T0)
    for row in await _rows(engine):
        der = keyring.unwrap(row["wrapped_key"])
        key = serialization.load_der_private_key(der, password=None)
        assert isinstance(key, Ed25519PrivateKey)
        raw = key.private_bytes_raw()
        cert = x509.load_pem_x509_certificate(row["certificate"].encode())
        assert key.public_key() == cert.public_key()
        stored = row["wrapped_key"]
        for leak in (der, raw):
            for form in (base64.b64encode(leak), base64.urlsafe_b64encode(leak), leak.hex()):
                text = form if isinstance(form, str) else form.decode()
                assert text not in stored
        assert "PRIVATE KEY" not in stored
        assert "PRIVATE KEY" not in row["certificate"]


async def test_a_wrong_master_key_is_key_unavailable_with_a_clear_message(
    engine: AsyncEngine, keyring: Keyring
) -> None:
    await open_authority(engine, keyring, T0)
    with pytest.raises(KeyUnavailable, match="CHIPIN_SECRET_KEY") as info:
        await open_authority(engine, Keyring(OLD_MASTER), T0)
    assert MASTER.decode() not in str(info.value)
    assert OLD_MASTER.decode() not in str(info.value)


async def test_an_old_master_still_opens_and_rewrap_moves_keys_to_the_new(
    engine: AsyncEngine,
) -> None:
    before = await open_authority(engine, Keyring(OLD_MASTER), T0)
    both = Keyring(MASTER, [OLD_MASTER])
    assert _same(before, await load_authority(engine, both))
    assert await rewrap_all(engine, both) == 2
    assert _same(before, await load_authority(engine, Keyring(MASTER)))
    with pytest.raises(KeyUnavailable):
        await load_authority(engine, Keyring(OLD_MASTER))


async def test_heads_signed_before_and_after_rotation_both_verify(
    engine: AsyncEngine, keyring: Keyring
) -> None:
    old = await open_authority(engine, keyring, T0)
    head_before = sign_head(old, T0 + timedelta(hours=1), tree_size=3)
    new = await rotate(engine, keyring, T0 + DAY)
    head_after = sign_head(new, T0 + 2 * DAY, tree_size=9)
    assert new.key_id != old.key_id
    assert new.root == old.root
    reloaded = await load_authority(engine, keyring)
    assert _same(new, reloaded)
    for head in (head_before, head_after):
        verify_head(head, reloaded.root, reloaded.certificates)
        reloaded.verify(head)
    assert [s.current for s in reloaded.signing] == [False, True]
    assert reloaded.signing[0].retired_at == T0 + DAY
    assert "Chipin Ledger Signing 2" in reloaded.current.cert.subject.rfc4514_string()


async def test_two_rotations_at_once_leave_one_current_key(
    engine: AsyncEngine, keyring: Keyring
) -> None:
    await open_authority(engine, keyring, T0)
    await asyncio.gather(*(rotate(engine, keyring, T0 + DAY) for _ in range(3)))
    rows = await _rows(engine)
    signing = [r for r in rows if r["purpose"] == "head-signing"]
    assert [r["retired_at"] is None for r in signing].count(True) == 1
    authority = await load_authority(engine, keyring)
    assert authority.key_id == ca.fingerprint(authority.certificates[-1])


async def test_chain_pem_parses_back_to_the_certificates(
    engine: AsyncEngine, keyring: Keyring
) -> None:
    await open_authority(engine, keyring, T0)
    authority = await rotate(engine, keyring, T0 + DAY)
    root, signing = ca.load_chain(authority.chain_pem().encode())
    assert root == authority.root
    assert signing == authority.certificates
    assert len(signing) == 2


async def test_describe_lists_each_certificate_with_its_fingerprint_and_state(
    engine: AsyncEngine, keyring: Keyring
) -> None:
    await open_authority(engine, keyring, T0)
    authority = await rotate(engine, keyring, T0 + DAY)
    text = "\n".join(authority.describe())
    for cert in (authority.root, *authority.certificates):
        assert ca.fingerprint(cert) in text
        assert f"{cert.serial_number:x}" in text
    assert "root CA: CN=Chipin Ledger Root CA,O=Chipin" in text
    assert "signing (retired 2026-11-27 12:00:00Z)" in text
    assert text.count("signing (current)") == 1


async def test_the_authority_is_a_head_signer_and_logs_no_secret(
    engine: AsyncEngine, keyring: Keyring, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG, logger="trust")
    authority = await open_authority(engine, keyring, T0)
    await rotate(engine, keyring, T0 + DAY)
    signer: HeadSigner = authority
    assert len(signer.sign(b"message")) == 64
    wrapped = [r["wrapped_key"] for r in await _rows(engine)]
    assert "created root CA" in caplog.text
    assert "rotated the signing key" in caplog.text
    assert MASTER.decode() not in caplog.text
    assert not any(w in caplog.text for w in wrapped)
    assert MASTER.decode() not in repr(authority)


async def test_a_signing_certificate_swapped_for_a_foreign_one_breaks_loading(
    engine: AsyncEngine, keyring: Keyring
) -> None:
    await open_authority(engine, keyring, T0)
    root_key, root = ca.new_root(T0)
    _, foreign = ca.issue_signing(root_key, root, T0, 1)
    async with engine.begin() as conn:
        await conn.execute(
            sa.update(trust_keys)
            .where(trust_keys.c.id == "signing-000001")
            .values(certificate=ca.to_pem(foreign))
        )
    with pytest.raises(TrustStoreBroken, match=r"signing-000001: .*not signed by the root"):
        await load_authority(engine, keyring)


async def test_a_current_key_that_does_not_match_its_certificate_breaks_loading(
    engine: AsyncEngine, keyring: Keyring
) -> None:
    await open_authority(engine, keyring, T0)
    async with engine.begin() as conn:
        root_wrapped = (
            await conn.execute(sa.select(trust_keys.c.wrapped_key).where(trust_keys.c.id == "root"))
        ).scalar_one()
        await conn.execute(
            sa.update(trust_keys)
            .where(trust_keys.c.id == "signing-000001")
            .values(wrapped_key=root_wrapped)
        )
    with pytest.raises(TrustStoreBroken, match="does not match its certificate"):
        await load_authority(engine, keyring)
