"""Settling a payment is one short transaction: every awaited statement is a round trip to
the database, and under load those round trips set the pace (docs/PERFORMANCE.md)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import pytest
from sqlalchemy import event

from core.domain.events import OrderClosed as OrderClosedEvent
from core.domain.events import SubOrderPaid
from core.domain.model import OrderState
from core.usecases.deps import Outcome
from storage.db import make_engine
from storage.store import SqlStore
from tests.support.harness import Rig, build_rig, request
from tests.support.sealing import sealer_for_tests

# Record the event; look up the payment, the sub-order and the order; count it; mark the
# part paid; add the payment; the ledger's size and its entry; the outbox's events (one
# INSERT for all of them); then one COMMIT. Not counted: transaction control (SQLite's BEGIN
# IMMEDIATE, and the SAVEPOINT and RELEASE of its group commit, storage/sqlite_loop.py).
MAX_STATEMENTS = {"sqlite": 10, "postgresql": 10}
CONTROL = frozenset({"BEGIN", "SAVEPOINT", "RELEASE"})


@pytest.fixture
async def counted(db_url: str) -> AsyncIterator[tuple[Rig, list[str], int]]:
    """An engine on a SQL store, the list every statement it runs is appended to, and the
    most statements a settlement may take there."""
    engine = make_engine(db_url)
    statements: list[str] = []

    def seen(_conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
        verb = statement.split(None, 1)[0].upper()
        if verb not in CONTROL:
            statements.append(verb)

    def committed(_conn: Any) -> None:
        statements.append("COMMIT")

    store = SqlStore(engine, sealer_for_tests())
    event.listen(store.statement_engine, "before_cursor_execute", seen)
    event.listen(store.statement_engine, "commit", committed)
    try:
        rig = build_rig(store)
        yield rig, statements, MAX_STATEMENTS[engine.dialect.name]
    finally:
        await store.dispose()


async def test_a_payment_is_settled_in_one_short_transaction(
    counted: tuple[Rig, list[str], int],
) -> None:
    rig, statements, most = counted
    view = await rig.engine.create_order(await rig.payee(), request(total="30", payers=3))
    refs = []
    for payer in ("ann", "bob", "cid"):
        ref = (await rig.engine.reserve(view.order.token, payer, source=payer)).sub.checkout_ref
        assert ref is not None
        refs.append(ref)
    per_payment = []
    for ref in refs[:2]:
        statements.clear()
        assert await rig.engine.apply_event(rig.gateway.pay(ref)) == Outcome.APPLIED
        per_payment.append(len(statements) - statements.count("COMMIT"))
    assert max(per_payment) <= most, statements
    assert statements.count("COMMIT") == 1
    # The last payment completes the order: the counts its events carry are exact.
    assert await rig.engine.apply_event(rig.gateway.pay(refs[2])) == Outcome.APPLIED
    paid = [e for e in rig.notifier.of(SubOrderPaid) if isinstance(e, SubOrderPaid)]
    assert [e.paid_count for e in paid] == [1, 2, 3]
    (closed,) = rig.notifier.of(OrderClosedEvent)
    assert isinstance(closed, OrderClosedEvent)
    assert (closed.state, closed.paid_count, closed.paid_minor) == (OrderState.COMPLETED, 3, 3000)
