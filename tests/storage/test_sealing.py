"""seal_plain_rows seals rows written before revision 0005; reseal_all re-seals after rotation."""

from __future__ import annotations

import asyncio
import dataclasses
from collections.abc import AsyncIterator
from dataclasses import dataclass

import pytest
import sqlalchemy as sa
from alembic import command
from cryptography.fernet import Fernet
from sqlalchemy.ext.asyncio import AsyncEngine

from core.domain.errors import AlreadyPaid, InvariantViolation
from core.domain.model import Order, Payee, PayeeId, SubOrder, SubOrderState
from core.domain.passwords import FAST_FOR_TESTS, PasswordHasher
from storage import sealing
from storage.db import make_engine
from storage.migrate import alembic_config, current_revision
from storage.rows import order_values, payment_values
from storage.sealing import reseal_all, seal_plain_rows
from storage.store import SqlStore
from storage.tables import order_posts, orders, payees, payer_auth, payments, sub_orders
from tests.storage.helpers import make_order, make_payment
from tests.storage.personal import (
    ALIAS,
    PAYEE_NAME,
    PAYER,
    PAYER_NAME,
    PIN,
    column,
    full_flow,
    leaked,
    raw_rows,
    raw_text,
)
from tests.support.fakes.clock import FakeClock
from tests.support.harness import build_rig
from tests.support.sealing import INDEX_KEY, SEAL_KEY, sealer_for_tests
from trust.errors import KeyUnavailable
from trust.pii import Sealer

NOW = FakeClock().now()
# Every sealed column, and so every value reseal_all rewrites.
SEALED = (
    ("payees", "name_sealed"),
    ("payer_auth", "payer_sealed"),
    ("sub_orders", "payer_sealed"),
    ("sub_orders", "payer_name_sealed"),
    ("sub_orders", "assignee_sealed"),
    ("order_posts", "payee_name_sealed"),
    ("ledger_entries", "payer_sealed"),
    ("outbox_events", "body_sealed"),
)


async def upgrade(url: str, revision: str) -> None:
    await asyncio.to_thread(command.upgrade, alembic_config(url), revision)


@pytest.fixture
async def engine(blank_db_url: str) -> AsyncIterator[AsyncEngine]:
    """An engine on a database at revision 0004, as it was before personal data was sealed."""
    await upgrade(blank_db_url, "0004")
    engine = make_engine(blank_db_url)
    try:
        yield engine
    finally:
        await engine.dispose()


@dataclass(frozen=True)
class Legacy:
    payee: Payee
    order: Order
    subs: list[SubOrder]


def _sub_row(sub: SubOrder) -> dict[str, object]:
    """A sub-order as 0004's code wrote it: payer, name and assignee in the clear."""
    return {
        "id": sub.id,
        "order_id": sub.order_id,
        "idx": sub.idx,
        "amount_minor": sub.amount_minor,
        "state": sub.state.value,
        "payer_ref": sub.payer_ref,
        "hold_seq": sub.hold_seq,
        "paid_at": sub.paid_at,
        "payer_name": sub.payer_name,
        "assignee": sub.assignee,
    }


def _order_row(order: Order) -> dict[str, object]:
    """An order as revision 0004 stores it (no hold limit yet: 0011; no card account: 0015;
    no payee display name or request fingerprint: 0016)."""
    later = ("holds_per_source", "card_account", "payee_display_name_sealed", "request_hash")
    return {k: v for k, v in order_values(order, sealer_for_tests()).items() if k not in later}


async def fill_as_0004(engine: AsyncEngine) -> Legacy:
    """One payee, an order with three named parts (Ann's paid), a PIN, a post: all in clear."""
    payee = Payee(PayeeId("pay_legacy"), PAYEE_NAME, NOW)
    order, subs = make_order(payee.id, n=3, created_at=NOW)
    order = dataclasses.replace(order, paid_count=1, paid_minor=subs[0].amount_minor)
    ann = dataclasses.replace(
        subs[0],
        state=SubOrderState.PAID,
        payer_ref=PAYER,
        payer_name=PAYER_NAME,
        assignee=ALIAS,
        paid_at=NOW,
        hold_seq=1,
    )
    subs = [
        ann,
        dataclasses.replace(subs[1], assignee="@bobby"),
        dataclasses.replace(subs[2], assignee="tg:5151"),
    ]
    pin_hash = PasswordHasher(b"test-pepper", FAST_FOR_TESTS).hash(PIN)
    auth = {"failures": 0, "lockouts": 0, "updated_at": NOW}
    async with engine.begin() as conn:
        await conn.execute(sa.insert(payees).values(id=payee.id, name=PAYEE_NAME, created_at=NOW))
        await conn.execute(sa.insert(orders).values(_order_row(order)))
        await conn.execute(sa.insert(sub_orders), [_sub_row(s) for s in subs])
        row = payment_values(make_payment(order, subs[0]))
        row.pop("settled_by")  # 0014
        row.pop("payout_account")  # 0015
        row.pop("fee_minor")  # 0015
        await conn.execute(sa.insert(payments).values(row))
        await conn.execute(sa.insert(payer_auth).values(payer_ref=PAYER, pin_hash=pin_hash, **auth))
        await conn.execute(sa.insert(payer_auth).values(payer_ref=f"order:{order.id}", **auth))
        await conn.execute(
            sa.insert(order_posts).values(
                order_id=order.id, chat_id=-100, created_at=NOW, payee_name=PAYEE_NAME
            )
        )
    return Legacy(payee, order, subs)


async def test_rows_written_before_0005_are_sealed_and_read_back(
    engine: AsyncEngine, blank_db_url: str
) -> None:
    legacy = await fill_as_0004(engine)
    await upgrade(blank_db_url, "head")
    store = SqlStore(engine, sealer_for_tests())
    async with store.transaction() as tx:
        with pytest.raises(InvariantViolation, match="seal_plain_rows"):
            await tx.sub_orders.get_sub_orders(legacy.order.id)

    # 1 payee, 3 parts, 2 password rows (Ann's and the order password's), 1 post
    assert await seal_plain_rows(engine, sealer_for_tests()) == 7
    values = await raw_text(engine)
    assert leaked(values) == []
    assert not [v for v in values if "bobby" in v or "tg:5151" in v or "order:" in v]

    rig = build_rig(store)
    rig.clock.at = NOW
    view = await rig.engine.get_order(legacy.order.id, legacy.payee.id)
    assert [(s.payer_ref, s.payer_name, s.assignee) for s in view.subs] == [
        (PAYER, PAYER_NAME, ALIAS),
        (None, None, "@bobby"),
        (None, None, "tg:5151"),
    ]
    assert [p.payee_name for p in await rig.engine.posts_of(legacy.order.id)] == [PAYEE_NAME]
    assert await rig.engine.payee_named(PAYEE_NAME) == legacy.payee.id
    await rig.engine.verify_pin(PAYER, PIN)  # the old hash, found under the payer's index
    with pytest.raises(AlreadyPaid):
        await rig.engine.reserve(legacy.order.token, PAYER, aliases=[ALIAS], source=PAYER)
    bob = await rig.engine.reserve(
        legacy.order.token, "tg:6161", aliases=["@bobby"], source="tg:6161"
    )
    assert (bob.sub.idx, bob.sub.assignee) == (1, "@bobby")


async def test_sealing_plain_rows_again_changes_nothing(
    engine: AsyncEngine, blank_db_url: str
) -> None:
    await fill_as_0004(engine)
    await upgrade(blank_db_url, "head")
    assert await seal_plain_rows(engine, sealer_for_tests()) == 7
    before = await raw_rows(engine)
    assert await seal_plain_rows(engine, sealer_for_tests()) == 0
    assert await raw_rows(engine) == before


async def test_sealing_walks_every_table_in_batches(
    engine: AsyncEngine, blank_db_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    legacy = await fill_as_0004(engine)
    async with engine.begin() as conn:  # more posts of the order: a two-column primary key
        for chat in range(1, 6):
            post = {"order_id": legacy.order.id, "chat_id": chat, "created_at": NOW}
            await conn.execute(sa.insert(order_posts).values(payee_name=PAYEE_NAME, **post))
    await upgrade(blank_db_url, "head")
    monkeypatch.setattr(sealing, "BATCH_ROWS", 2)
    assert await seal_plain_rows(engine, sealer_for_tests()) == 12
    assert leaked(await raw_text(engine)) == []
    async with SqlStore(engine, sealer_for_tests()).transaction() as tx:
        posts = await tx.posts.get_posts(legacy.order.id)
    assert [p.payee_name for p in posts] == [PAYEE_NAME] * 6


async def test_0005_goes_up_and_down_over_a_filled_0004_database(
    engine: AsyncEngine, blank_db_url: str
) -> None:
    """SQLite included: adding and dropping columns never copies sub_orders, which payments
    refer to (a copy could not drop the old table with foreign keys on)."""
    await fill_as_0004(engine)
    before = await raw_rows(engine)
    await upgrade(blank_db_url, "head")
    await asyncio.to_thread(command.downgrade, alembic_config(blank_db_url), "0004")
    assert await raw_rows(engine) == before
    await upgrade(blank_db_url, "head")
    await seal_plain_rows(engine, sealer_for_tests())
    # Down to 0005 first (0006 holds nothing here), so the refusal below is 0005's own.
    await asyncio.to_thread(command.downgrade, alembic_config(blank_db_url), "0005")
    with pytest.raises(RuntimeError, match="holds sealed personal data"):
        await asyncio.to_thread(command.downgrade, alembic_config(blank_db_url), "0004")
    assert await asyncio.to_thread(current_revision, blank_db_url) == "0005"


async def _sealed_values(engine: AsyncEngine) -> dict[tuple[str, str], list[object]]:
    return {(t, c): [v for v in await column(engine, t, c) if v is not None] for t, c in SEALED}


async def _indexes(engine: AsyncEngine) -> list[list[object]]:
    pairs = [("payees", "name"), ("payer_auth", "payer_ref"), ("sub_orders", "payer_ref")]
    pairs += [("sub_orders", "assignee"), ("ledger_entries", "payer_index")]
    pairs += [("ledger_entries", "leaf_hash")]
    return [await column(engine, t, c) for t, c in pairs]


async def test_reseal_all_moves_every_value_to_the_new_key(store: SqlStore) -> None:
    flow = await full_flow(build_rig(store))
    before, indexes = await _sealed_values(store.engine), await _indexes(store.engine)
    assert all(before.values())  # every sealed column holds something to re-seal
    new_key = Fernet.generate_key()
    rotated = Sealer(INDEX_KEY, [new_key, SEAL_KEY])

    values = await reseal_all(store.engine, rotated)

    after = await _sealed_values(store.engine)
    assert values == sum(len(tokens) for tokens in before.values())
    for key, tokens in after.items():
        assert len(tokens) == len(before[key])
        assert not set(tokens) & set(before[key]), key
    assert await _indexes(store.engine) == indexes  # and so every ledger proof still holds
    newest_only = SqlStore(store.engine, Sealer(INDEX_KEY, [new_key]))
    rig = build_rig(newest_only)
    view = await rig.engine.get_order(flow.order_id, flow.payee)
    assert (view.subs[0].payer_ref, view.subs[0].payer_name) == (PAYER, PAYER_NAME)
    assert [p.payee_name for p in await rig.engine.posts_of(flow.order_id)] == [PAYEE_NAME]
    async with newest_only.transaction() as tx:
        secrets = [await tx.ledger.payer_secret(i) for i in range(await tx.ledger.ledger_size())]
    assert {s.payer_name for s in secrets if s} == {PAYER_NAME}
    old_only = SqlStore(store.engine, sealer_for_tests())
    async with old_only.transaction() as tx:
        with pytest.raises(KeyUnavailable):
            await tx.sub_orders.get_sub_orders(flow.order_id)


def test_reseal_all_covers_every_sealed_column_of_the_schema() -> None:
    """A sealed column left out of the rotation is unreadable once the old key is retired."""
    from storage.sealing import _sealed_passes
    from storage.tables import metadata

    sealed = {(t.name, c.name) for t in metadata.sorted_tables for c in t.c if "sealed" in c.name}
    covered = {(p.table.name, c) for p in _sealed_passes() for c in p.columns}
    assert sealed == covered
