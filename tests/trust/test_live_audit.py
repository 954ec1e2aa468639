"""`chipin ledger verify` on a live PostgreSQL ledger: money moving meanwhile is no tampering."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import event
from sqlalchemy.util import await_only

from core.domain.ledger.audit import audit
from core.domain.ledger.entries import SignedHead
from storage.db import make_engine
from storage.repos.ledger import read_ledger
from storage.store import SqlStore
from tests.support.harness import Rig, build_rig, request
from tests.support.sealing import sealer_for_tests


async def _pay_order(rig: Rig, payers: int) -> None:
    payee = await rig.payee()
    view = await rig.engine.create_order(payee, request(total=str(10 * payers), payers=payers))
    for n in range(payers):
        res = await rig.engine.reserve(view.order.token, f"tg:{n}", source=f"tg:{n}")
        assert res.sub.checkout_ref is not None
        await rig.engine.apply_event(rig.gateway.pay(res.sub.checkout_ref))


def _any_head(_signed: SignedHead) -> str | None:
    return None  # signatures are not what this test is about


@pytest.mark.postgres
@pytest.mark.parametrize("between", ["entries", "heads"])
async def test_an_audit_reads_one_snapshot_while_money_moves(pg_url: str, between: str) -> None:
    db, auditor = make_engine(pg_url), make_engine(pg_url)
    try:
        rig = build_rig(SqlStore(db, sealer_for_tests()))
        await _pay_order(rig, 2)
        await rig.engine.sign_head()
        fired: list[str] = []

        @event.listens_for(auditor.sync_engine, "before_cursor_execute")
        def money_moves(_conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
            # Right before the audit reads entries (or heads), an order is paid and signed.
            if f"FROM ledger_{between}" in statement and not fired:
                fired.append(statement)
                await_only(_pay_order(rig, 2))
                await_only(rig.engine.sign_head())

        rows, size, heads = await read_ledger(auditor)
        assert fired
        report = audit(rows, size, heads, _any_head)
        assert report.ok, report.problems
    finally:
        await auditor.dispose()
        await db.dispose()
