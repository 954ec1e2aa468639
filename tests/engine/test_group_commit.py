"""SQLite's group commit (storage/sqlite_loop.py) under failure: a COMMIT that fails takes
back every transaction of its group, and nothing they saw leaks into what Chipin signs."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import event

from core.domain.ledger.audit import audit
from core.domain.ledger.entries import SignedHead
from core.usecases.deps import Outcome
from storage.db import make_engine
from storage.repos.ledger import read_ledger
from storage.store import SqlStore
from tests.support.backends import copy_sqlite
from tests.support.harness import Rig, build_rig, request
from tests.support.sealing import sealer_for_tests


@pytest.fixture
async def store(sqlite_template: Path, tmp_path: Path) -> AsyncIterator[SqlStore]:
    store = SqlStore(make_engine(copy_sqlite(sqlite_template, tmp_path)), sealer_for_tests())
    try:
        yield store
    finally:
        await store.dispose()


def fail_next_commit(store: SqlStore) -> None:
    """The next COMMIT fails as a full disk would make it; later ones go through."""
    armed = [True]

    def disk_full(_conn: Any) -> None:
        if armed:
            armed.clear()
            raise OSError("disk full")

    event.listen(store.statement_engine, "commit", disk_full)


def _any_head(_signed: SignedHead) -> str | None:
    return None  # signatures are not what this test is about


async def held_parts(rig: Rig, payers: int) -> list[str]:
    view = await rig.engine.create_order(await rig.payee(), request(total="30", payers=payers))
    refs = []
    for n in range(payers):
        ref = (
            await rig.engine.reserve(view.order.token, f"tg:{n}", source=f"tg:{n}")
        ).sub.checkout_ref
        assert ref is not None
        refs.append(ref)
    return refs


async def test_a_failed_group_commit_leaves_the_signed_ledger_true(store: SqlStore) -> None:
    """A ledger proof read in the same group as a payment sees that payment's entry; when
    the group's COMMIT fails the entry is gone, and so must it be from the tree that the
    next heads are signed over (else the audit reports the log rewritten)."""
    rig = build_rig(store)
    refs = await held_parts(rig, 3)
    assert await rig.engine.apply_event(rig.gateway.pay(refs[0])) == Outcome.APPLIED
    await rig.engine.sign_head()
    fail_next_commit(store)
    lost = await asyncio.gather(
        rig.engine.apply_event(rig.gateway.pay(refs[1])),
        rig.engine.consistency(0, 0),
        return_exceptions=True,
    )
    assert all(isinstance(r, OSError) for r in lost), lost  # one group, one failed COMMIT
    assert await rig.engine.apply_event(rig.gateway.pay(refs[2])) == Outcome.APPLIED
    head = await rig.engine.sign_head()
    rows, size, heads = await read_ledger(store.engine)
    report = audit(rows, size, heads, _any_head)
    assert report.ok, report.problems
    assert head.head.tree_size == size


async def test_a_failed_group_commit_counts_no_payment(store: SqlStore) -> None:
    """Two payments in one group whose COMMIT fails: neither is counted, both answer with
    the error (the gateway delivers again), and the redelivery counts each once."""
    rig = build_rig(store)
    refs = await held_parts(rig, 2)
    events = [rig.gateway.pay(ref) for ref in refs]
    fail_next_commit(store)
    first = await asyncio.gather(
        *(rig.engine.apply_event(e) for e in events), return_exceptions=True
    )
    assert all(isinstance(r, OSError) for r in first), first
    async with store.transaction() as tx:
        assert [
            s.state.value for s in await tx.sub_orders.get_sub_orders(await order_of(tx, refs[0]))
        ] == [
            "reserved",
            "reserved",
        ]
    again = await asyncio.gather(*(rig.engine.apply_event(e) for e in events))
    assert again == [Outcome.APPLIED, Outcome.APPLIED]
    async with store.transaction() as tx:
        order = await tx.orders.get_order(await order_of(tx, refs[0]))
    assert order is not None
    assert order.paid_count == 2


async def order_of(tx: Any, checkout_ref: str) -> Any:
    sub = await tx.sub_orders.sub_order_for_checkout("fake", checkout_ref)
    assert sub is not None
    return sub.order_id
