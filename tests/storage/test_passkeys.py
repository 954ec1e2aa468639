"""Passkeys, page links and challenges in SQL: single use holds under races, data is sealed."""

from __future__ import annotations

import asyncio
from datetime import timedelta

import pytest
from cryptography.fernet import Fernet

from core.domain.errors import Conflict
from core.domain.model import OrderId, SubOrderId
from core.domain.passkeys import Challenge, Passkey, Purpose, VerifyLink
from storage.sealing import reseal_all
from storage.store import SqlStore
from tests.storage.helpers import T0
from tests.storage.personal import raw_text
from tests.support.sealing import INDEX_KEY, SEAL_KEY, sealer_for_tests
from trust.pii import Sealer

PAYER = "tg:777001"
DEVICE = "Chrome on Android"


def _link(token_hash: str = "a" * 64, *, expires_s: int = 600) -> VerifyLink:
    return VerifyLink(
        token_hash=token_hash,
        payer_ref=PAYER,
        purpose=Purpose.PAY,
        expires_at=T0 + timedelta(seconds=expires_s),
        order_id=OrderId("ord_1"),
        order_token="tok_1",
        sub_order_id=SubOrderId("sub_1"),
    )


def _challenge(value: str = "Y2hhbGxlbmdl") -> Challenge:
    return Challenge(value, "a" * 64, PAYER, SubOrderId("sub_1"), T0 + timedelta(seconds=120))


def _passkey(pk_id: str = "pk_1", credential: bytes = b"\x01cred") -> Passkey:
    return Passkey(pk_id, PAYER, credential, b"\xa5cose", 1, DEVICE, T0)


async def test_a_link_is_read_back_and_spent_once(store: SqlStore) -> None:
    async with store.transaction() as tx:
        await tx.passkeys.add_passkey_link(_link(), T0)
    async with store.transaction() as tx:
        assert await tx.passkeys.get_passkey_link("a" * 64) == _link()
        assert await tx.passkeys.spend_passkey_link("a" * 64, T0)
        assert not await tx.passkeys.spend_passkey_link("a" * 64, T0)
        spent = await tx.passkeys.get_passkey_link("a" * 64)
        assert spent is not None
        assert spent.spent
        assert await tx.passkeys.get_passkey_link("b" * 64) is None


async def test_links_and_challenges_expired_a_day_ago_are_forgotten(store: SqlStore) -> None:
    async with store.transaction() as tx:
        await tx.passkeys.add_passkey_link(_link(), T0)
        await tx.passkeys.add_passkey_challenge(_challenge())
    async with store.transaction() as tx:
        await tx.passkeys.add_passkey_link(_link("c" * 64), T0 + timedelta(days=1, minutes=11))
    async with store.transaction() as tx:
        assert await tx.passkeys.get_passkey_link("a" * 64) is None
        assert await tx.passkeys.take_passkey_challenge(_challenge().value) is None
        assert await tx.passkeys.get_passkey_link("c" * 64) is not None


async def test_two_parallel_takes_of_a_challenge_get_it_once(store: SqlStore) -> None:
    async with store.transaction() as tx:
        await tx.passkeys.add_passkey_challenge(_challenge())

    async def take() -> Challenge | None:
        async with store.transaction() as tx:
            found = await tx.passkeys.take_passkey_challenge(_challenge().value)
            await asyncio.sleep(0.05)  # hold the transaction open while the other one tries
            return found

    results = await asyncio.gather(take(), take())
    assert sorted(r is not None for r in results) == [False, True]
    assert [r for r in results if r is not None] == [_challenge()]


async def test_passkeys_are_listed_used_with_a_counter_check_and_removed(store: SqlStore) -> None:
    async with store.transaction() as tx:
        await tx.passkeys.add_passkey(_passkey())
        await tx.passkeys.add_passkey(_passkey("pk_2", b"\x02cred"))
    async with store.transaction() as tx:
        assert [k.id for k in await tx.passkeys.passkeys_of(PAYER)] == ["pk_1", "pk_2"]
        assert await tx.passkeys.passkeys_of("tg:1") == []
        assert await tx.passkeys.passkey_by_credential(b"\x01cred") == _passkey()
        assert not await tx.passkeys.use_passkey("pk_1", 0, 5, T0)  # another use got there first
        assert await tx.passkeys.use_passkey("pk_1", 1, 5, T0 + timedelta(minutes=1))
        used = await tx.passkeys.passkey_by_credential(b"\x01cred")
        assert used is not None
        assert (used.sign_count, used.last_used_at) == (5, T0 + timedelta(minutes=1))
        assert not await tx.passkeys.remove_passkey("tg:1", "pk_1")  # not theirs
        assert await tx.passkeys.remove_passkey(PAYER, "pk_1")
        assert [k.id for k in await tx.passkeys.passkeys_of(PAYER)] == ["pk_2"]


async def test_a_credential_is_enrolled_once(store: SqlStore) -> None:
    async with store.transaction() as tx:
        await tx.passkeys.add_passkey(_passkey())
    with pytest.raises(Conflict):
        async with store.transaction() as tx:
            await tx.passkeys.add_passkey(_passkey("pk_9"))


async def test_payers_and_device_names_are_sealed_and_survive_a_key_rotation(
    store: SqlStore,
) -> None:
    async with store.transaction() as tx:
        await tx.passkeys.add_passkey(_passkey())
        await tx.passkeys.add_passkey_link(_link(), T0)
        await tx.passkeys.add_passkey_challenge(_challenge())
    stored = await raw_text(store.engine)
    assert not [v for v in stored if PAYER in v or DEVICE in v]
    assert sealer_for_tests().index(PAYER) in stored

    new_key = Fernet.generate_key()
    assert await reseal_all(store.engine, Sealer(INDEX_KEY, [new_key, SEAL_KEY])) == 4
    newest_only = SqlStore(store.engine, Sealer(INDEX_KEY, [new_key]))
    async with newest_only.transaction() as tx:
        assert await tx.passkeys.passkeys_of(PAYER) == [_passkey()]
        assert await tx.passkeys.get_passkey_link("a" * 64) == _link()
        assert await tx.passkeys.take_passkey_challenge(_challenge().value) == _challenge()
