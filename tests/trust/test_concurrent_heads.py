"""Heads and proofs asked for at the same time: no false alarm, and heads stay in order."""

from __future__ import annotations

import asyncio
from datetime import datetime

from core.domain.ledger.audit import audit
from core.domain.ledger.entries import SignedHead, head_message
from storage.repos.ledger import read_ledger
from storage.store import SqlStore
from tests.support.fakes.signer import FakeSigner
from tests.support.harness import Rig, request


async def _pay_some(rig: Rig, payers: int) -> None:
    payee = await rig.payee()
    view = await rig.engine.create_order(payee, request(total=str(10 * payers), payers=payers))
    for n in range(payers):
        res = await rig.engine.reserve(view.order.token, f"tg:{n}", source=f"tg:{n}")
        assert res.sub.checkout_ref is not None
        await rig.engine.apply_event(rig.gateway.pay(res.sub.checkout_ref))


async def test_proofs_asked_at_once_do_not_raise_a_tampering_alarm(rig: Rig) -> None:
    await _pay_some(rig, 3)
    await rig.engine.inclusion(0, 1)  # the engine's tree now holds one sync
    await _pay_some(rig, 3)
    size = 8
    proofs = await asyncio.gather(*(rig.engine.inclusion(i, size) for i in range(size)))
    assert [p.index for p in proofs] == list(range(size))


async def test_heads_signed_at_once_stay_in_order_and_verify(rig: Rig) -> None:
    signer = FakeSigner()

    def check(signed: SignedHead) -> str | None:
        ok = signer.verify(head_message(signed.head), signed.signature)
        return None if ok else "bad signature"

    clock = rig.clock
    start = clock.at

    def ticking() -> datetime:  # every reading of the clock is a millisecond later
        clock.advance(milliseconds=1)
        return clock.at

    clock.now = ticking  # type: ignore[method-assign]
    for _ in range(3):
        await asyncio.gather(
            _pay_some(rig, 2), *(rig.engine.sign_head(force=True) for _ in range(4))
        )
    async with rig.store.transaction() as tx:
        heads = await tx.ledger.signed_heads()
        size = await tx.ledger.ledger_size()
    assert clock.at > start
    sizes = [h.head.tree_size for h in heads]
    times = [h.head.timestamp_ms for h in heads]
    assert sizes == sorted(sizes), sizes
    assert times == sorted(times), times
    if isinstance(rig.store, SqlStore):
        rows, size, heads = await read_ledger(rig.store.engine)
        report = audit(rows, size, heads, check)
        assert report.ok, report.problems
