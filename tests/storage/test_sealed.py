"""Personal data is sealed at rest: raw rows hold none of it, and the engine reads it back."""

from __future__ import annotations

import pytest
from cryptography.fernet import Fernet

from core.domain.errors import InvariantViolation, LockedOut, NotAllowed, WrongPassword
from storage.store import SqlStore
from tests.storage.personal import (
    ALIAS,
    PAYEE_NAME,
    PAYER,
    PAYER_NAME,
    PIN,
    column,
    full_flow,
    leaked,
    raw_text,
)
from tests.support.harness import build_rig, request
from tests.support.sealing import INDEX_KEY, SEAL_KEY, sealer_for_tests
from trust.errors import KeyUnavailable
from trust.pii import Sealer

OTHER = "tg:5151"


def sealed_store(store: SqlStore, sealer: Sealer) -> SqlStore:
    """Another SqlStore on the same database, with other keys."""
    return SqlStore(store.engine, sealer)


async def test_raw_rows_hold_no_personal_data_after_a_full_flow(store: SqlStore) -> None:
    await full_flow(build_rig(store))
    values = await raw_text(store.engine)
    assert sealer_for_tests().index(PAYER) in values  # the rows were read, as stored
    assert leaked(values) == []


async def test_the_engine_reads_every_personal_value_back(store: SqlStore) -> None:
    rig = build_rig(store)
    flow = await full_flow(rig)
    view = await rig.engine.get_order(flow.order_id, flow.payee)
    ann, bob = view.subs
    assert (ann.payer_ref, ann.payer_name, ann.assignee) == (PAYER, PAYER_NAME, ALIAS)
    assert (bob.payer_ref, bob.payer_name, bob.assignee) == (None, None, "@bobby")
    (post,) = await rig.engine.posts_of(flow.order_id)
    assert post.payee_name == PAYEE_NAME
    async with store.transaction() as tx:
        payee = await tx.payees.get_payee_by_name(PAYEE_NAME)
        assert payee is not None
        assert (payee.id, payee.name) == (flow.payee, PAYEE_NAME)
        assert (await tx.sub_orders.find_payer_sub_order(flow.order_id, PAYER)) == ann
        secrets = [await tx.ledger.payer_secret(i) for i in range(await tx.ledger.ledger_size())]
    assert {(s.payer_ref, s.payer_name) for s in secrets if s} == {(PAYER, PAYER_NAME)}


async def test_lookups_compare_blind_indexes(store: SqlStore) -> None:
    flow = await full_flow(build_rig(store))
    index = sealer_for_tests().index
    assert await column(store.engine, "payees", "name") == [index(PAYEE_NAME)]
    assert await column(store.engine, "payer_auth", "payer_ref") == [index(PAYER)]
    assert sorted(map(str, await column(store.engine, "sub_orders", "assignee"))) == sorted(
        [index(ALIAS), index("@bobby")]
    )
    async with store.transaction() as tx:
        assert await tx.sub_orders.find_payer_sub_order(flow.order_id, OTHER) is None
        assert await tx.payees.get_payee_by_name("Zelda") is None


async def test_reserving_twice_gives_the_same_named_part_and_no_other_payer_takes_it(
    store: SqlStore,
) -> None:
    rig = build_rig(store)
    payee = await rig.payee(PAYEE_NAME)
    view = await rig.engine.create_order(
        payee, request(total="20", payers=2), assignees=[ALIAS, "@bobby"]
    )
    token = view.order.token
    with pytest.raises(NotAllowed):
        await rig.engine.reserve(
            token, OTHER, payer_name="Carl", aliases=["@carl", OTHER], source=OTHER
        )
    first = await rig.engine.reserve(
        token, PAYER, payer_name=PAYER_NAME, aliases=[ALIAS], source=PAYER
    )
    again = await rig.engine.reserve(
        token, PAYER, payer_name=PAYER_NAME, aliases=[ALIAS], source=PAYER
    )
    assert (first.sub.idx, again.sub.id, again.created) == (0, first.sub.id, False)
    bob = await rig.engine.reserve(
        token, "tg:6161", payer_name="Bob", aliases=["@bobby"], source="tg:6161"
    )
    assert (bob.sub.idx, bob.sub.assignee, bob.sub.payer_name) == (1, "@bobby", "Bob")


async def test_pin_lockout_counts_per_payer(store: SqlStore) -> None:
    rig = build_rig(store)
    await rig.engine.set_pin(PAYER, PIN)
    await rig.engine.set_pin(OTHER, PIN)
    for _ in range(4):
        with pytest.raises(WrongPassword):
            await rig.engine.verify_pin(PAYER, "000001")
    with pytest.raises(LockedOut):
        await rig.engine.verify_pin(PAYER, "000001")
    with pytest.raises(LockedOut):
        await rig.engine.verify_pin(PAYER, PIN)
    await rig.engine.verify_pin(OTHER, PIN)  # the other payer's row is another blind index
    async with store.transaction() as tx:
        auth = await tx.payers.get_payer_auth(PAYER)
    assert auth is not None
    assert (auth.payer_ref, auth.lockouts) == (PAYER, 1)


async def test_another_index_key_finds_nothing_and_reading_fails_loudly(store: SqlStore) -> None:
    flow = await full_flow(build_rig(store))
    other = Sealer(b"j" * 32, [SEAL_KEY])
    assert other.index(PAYER) != sealer_for_tests().index(PAYER)
    async with sealed_store(store, other).transaction() as tx:
        assert await tx.sub_orders.find_payer_sub_order(flow.order_id, PAYER) is None
        assert await tx.payers.get_payer_auth(PAYER) is None
        with pytest.raises(InvariantViolation, match="index and sealed value disagree") as exc:
            await tx.sub_orders.get_sub_orders(flow.order_id)
    assert leaked([str(exc.value)]) == []


async def test_a_sealer_without_the_seal_key_fails_instead_of_returning_garbage(
    store: SqlStore,
) -> None:
    flow = await full_flow(build_rig(store))
    wrong = Sealer(INDEX_KEY, [Fernet.generate_key()])
    async with sealed_store(store, wrong).transaction() as tx:
        with pytest.raises(KeyUnavailable) as exc:
            await tx.sub_orders.get_sub_orders(flow.order_id)
        with pytest.raises(KeyUnavailable):
            await tx.payees.get_payee(flow.payee)
        with pytest.raises(KeyUnavailable):
            await tx.posts.get_posts(flow.order_id)
    assert leaked([str(exc.value)]) == []
