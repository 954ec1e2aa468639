"""Sealed personal data: the blind index, sealing, seal-key rotation, and the stored keys."""

from __future__ import annotations

import asyncio
from datetime import timedelta

import pytest
import sqlalchemy as sa
from cryptography.fernet import Fernet
from sqlalchemy.ext.asyncio import AsyncEngine

from core.ports.store import Sealer as SealerPort
from storage.db import make_engine
from storage.tables import trust_keys
from tests.trust.conftest import T0
from trust.errors import KeyUnavailable
from trust.keyring import Keyring
from trust.pii import Sealer, load_sealer, open_sealer, rotate_seal_key

INDEX_KEY = b"k" * 32
OTHER_INDEX_KEY = b"j" * 32
OLD_SEAL = Fernet.generate_key()
NEW_SEAL = Fernet.generate_key()
PAYER = "tg:123456789"


def test_index_is_deterministic_hex_and_depends_on_the_key() -> None:
    sealer = Sealer(INDEX_KEY, [OLD_SEAL])
    index = sealer.index(PAYER)
    assert index == Sealer(INDEX_KEY, [NEW_SEAL]).index(PAYER)
    assert len(index) == 64
    assert int(index, 16) >= 0
    assert index != sealer.index("tg:123456780")
    assert index != Sealer(OTHER_INDEX_KEY, [OLD_SEAL]).index(PAYER)
    assert PAYER not in index


def test_seal_then_open_round_trips_and_hides_the_value() -> None:
    sealer: SealerPort = Sealer(INDEX_KEY, [OLD_SEAL])
    token = sealer.seal(PAYER)
    assert PAYER not in token
    assert sealer.seal(PAYER) != token  # random IV: equal values do not look equal
    assert sealer.open(token) == PAYER
    assert sealer.open(sealer.seal("Zoë 🍣")) == "Zoë 🍣"


def test_rotate_moves_a_token_to_the_newest_key_and_open_keeps_working() -> None:
    old_token = Sealer(INDEX_KEY, [OLD_SEAL]).seal(PAYER)
    both = Sealer(INDEX_KEY, [NEW_SEAL, OLD_SEAL])
    assert both.open(old_token) == PAYER
    new_token = both.rotate(old_token)
    assert both.open(new_token) == PAYER
    assert Sealer(INDEX_KEY, [NEW_SEAL]).open(new_token) == PAYER


def test_open_with_only_a_newer_key_fails_clearly_without_the_value() -> None:
    old_token = Sealer(INDEX_KEY, [OLD_SEAL]).seal(PAYER)
    with pytest.raises(KeyUnavailable, match="seal key") as info:
        Sealer(INDEX_KEY, [NEW_SEAL]).open(old_token)
    assert PAYER not in str(info.value)
    assert old_token not in str(info.value)
    with pytest.raises(KeyUnavailable):
        Sealer(INDEX_KEY, [NEW_SEAL]).rotate(old_token)


def test_a_short_index_key_or_no_seal_key_is_refused() -> None:
    with pytest.raises(ValueError, match="32 bytes"):
        Sealer(b"short", [OLD_SEAL])
    with pytest.raises(ValueError, match="seal key"):
        Sealer(INDEX_KEY, [])


async def _purposes(db: AsyncEngine) -> list[tuple[str, str, bool]]:
    async with db.connect() as conn:
        stmt = sa.select(trust_keys.c.id, trust_keys.c.purpose, trust_keys.c.retired_at)
        rows = (await conn.execute(stmt.order_by(trust_keys.c.id))).all()
    return [(i, p, r is None) for i, p, r in rows]


async def test_open_sealer_creates_keys_once_and_reloads_them(
    engine: AsyncEngine, keyring: Keyring
) -> None:
    first = await open_sealer(engine, keyring, T0)
    token = first.seal(PAYER)
    again = await open_sealer(engine, keyring, T0 + timedelta(days=1))
    assert again.index(PAYER) == first.index(PAYER)
    assert again.open(token) == PAYER
    assert await _purposes(engine) == [
        ("pii-index", "pii-index", True),
        ("pii-seal-000001", "pii-seal", True),
    ]


async def test_sealers_opening_at_once_share_one_set_of_keys(db_url: str, keyring: Keyring) -> None:
    engines = [make_engine(db_url) for _ in range(2)]
    try:
        sealers = await asyncio.gather(
            *(open_sealer(e, keyring, T0) for e in engines for _ in range(3))
        )
        token = sealers[0].seal(PAYER)
        assert {s.index(PAYER) for s in sealers} == {sealers[0].index(PAYER)}
        assert all(s.open(token) == PAYER for s in sealers)
        assert len(await _purposes(engines[0])) == 2
    finally:
        for e in engines:
            await e.dispose()


async def test_rotating_the_seal_key_keeps_old_rows_open_and_the_index_stable(
    engine: AsyncEngine, keyring: Keyring
) -> None:
    before = await open_sealer(engine, keyring, T0)
    old_token = before.seal(PAYER)
    after = await rotate_seal_key(engine, keyring, T0 + timedelta(days=1))
    assert after.open(old_token) == PAYER
    assert after.index(PAYER) == before.index(PAYER)
    with pytest.raises(KeyUnavailable):
        before.open(after.seal(PAYER))  # new rows are sealed under the new key
    assert after.open(after.rotate(old_token)) == PAYER
    assert (await load_sealer(engine, keyring)).open(old_token) == PAYER
    assert await _purposes(engine) == [
        ("pii-index", "pii-index", True),
        ("pii-seal-000001", "pii-seal", False),
        ("pii-seal-000002", "pii-seal", True),
    ]


async def test_seal_keys_are_stored_wrapped(engine: AsyncEngine, keyring: Keyring) -> None:
    await open_sealer(engine, keyring, T0)
    async with engine.connect() as conn:
        rows = (await conn.execute(sa.select(trust_keys.c.wrapped_key))).scalars().all()
    for wrapped in rows:
        secret = keyring.unwrap(wrapped)
        assert secret.decode("latin-1") not in wrapped
        assert secret.hex() not in wrapped


async def test_a_wrong_master_cannot_open_the_sealer(engine: AsyncEngine, keyring: Keyring) -> None:
    await open_sealer(engine, keyring, T0)
    with pytest.raises(KeyUnavailable, match="CHIPIN_OLD_SECRET_KEYS"):
        await load_sealer(engine, Keyring(b"another secret key entirely, 32+ chars"))
