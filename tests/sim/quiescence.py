"""Quiescence: deliver everything, let Chipin finish every gateway call, then the books must
balance to the minor unit: the gateway's, Chipin's and the ledger's, order by order.
"""

from __future__ import annotations

from core.domain.books import REFUND_KINDS, VOID_KINDS
from core.domain.ledger.entries import EntryKind
from core.domain.model import (
    PENDING_PAYMENT_STATUSES,
    Mode,
    OrderState,
    PaymentStatus,
)
from core.usecases.payments.upkeep import MAX_BACKOFF_S
from tests.sim.context import Broken, Sim
from tests.sim.delivery import attempt, deliver_one
from tests.sim.gateway import RETURNED, Held, SimGateway
from tests.sim.invariants import by_order, step_problems
from tests.sim.ledger_check import LedgerWatch, full_audit
from tests.sim.stores import Snapshot

MAX_ROUNDS = 60
EXPIRE_ALL_S = 31 * 86400  # past the longest valid time an order can have

SAME = {
    PaymentStatus.AUTHORISED: Held.AUTHORISED,
    PaymentStatus.CAPTURED: Held.CAPTURED,
    PaymentStatus.REFUNDED: Held.REFUNDED,
    PaymentStatus.VOIDED: Held.VOIDED,
}


async def drain(sim: Sim) -> Snapshot:
    """Faults off; deliver every webhook, tick and reconcile until nothing is left to do."""
    for _ in range(MAX_ROUNDS):
        batch = list(sim.gateway.outbox)
        sim.rng.shuffle(batch)
        for event in batch:  # each once a round: one may be refused until another is in
            await deliver_one(sim, event, acknowledged=True)
        await attempt("tick", sim.engine.tick())
        await attempt("reconcile", sim.engine.reconcile())
        snap = await sim.db.snapshot()
        _give_up(sim.gateway, snap)
        pending = [p for p in snap.payments.values() if p.status in PENDING_PAYMENT_STATUSES]
        if not pending and not sim.gateway.outbox:
            return snap
        sim.clock.advance(MAX_BACKOFF_S + 1)  # past every retry's backoff
    stuck = [
        f"{p.id} {p.status} ({p.last_error})"
        for p in snap.payments.values()
        if p.status in PENDING_PAYMENT_STATUSES
    ]
    raise Broken(
        f"no quiescence after {MAX_ROUNDS} rounds: pending {stuck}, "
        f"{len(sim.gateway.outbox)} webhooks unacknowledged"
    )


def _give_up(gw: SimGateway, snap: Snapshot) -> None:
    """The gateway stops retrying what Chipin refuses to take before the payment's own news,
    when that news was lost and Chipin never found the payment: it would wait for ever.
    """
    lost = {e.payment_ref for e in gw.lost}
    for event in list(gw.outbox):
        if event.payment_ref in lost and event.payment_ref not in snap.payments:
            gw.outbox.remove(event)
            gw.lost.append(event)


async def quiesce(sim: Sim, *, expire_all: bool = False) -> str:
    """Drain, then check the books; Broken if they do not balance.

    With `expire_all`, time then runs past every order's end and the books must balance
    with nothing open.
    """
    sim.faults.active = False
    try:
        problems = await _drain_and_check(sim)
        if expire_all and not problems:
            sim.clock.advance(EXPIRE_ALL_S)
            problems = await _drain_and_check(sim)
    finally:
        sim.faults.active = True
    if problems:
        raise Broken("at quiescence: " + "\n  ".join(problems))
    sim.counts["quiescent"] += 1
    return f"quiescent: {len(sim.gateway.payments)} payments balance, ledger {sim.ledger.tree.size}"


async def _drain_and_check(sim: Sim) -> list[str]:
    snap = await drain(sim)
    problems = await sim.ledger.follow(sim.db)
    problems += step_problems(snap, sim.gateway, sim.ledger, sim.people)
    problems += quiet_problems(snap, sim.gateway, sim.ledger)
    return problems + await full_audit(sim.db, sim.signer)


def quiet_problems(snap: Snapshot, gw: SimGateway, ledger: LedgerWatch) -> list[str]:
    """The books at quiescence, payment by payment and order by order."""
    problems = [f"webhook {e.event_id} never acknowledged" for e in gw.outbox]
    for g in gw.payments.values():
        p = snap.payments.get(g.ref)
        w = f"gateway payment {g.ref} ({g.state}, order {g.order_id})"
        if p is None:
            # Its webhook lost, then given back by the payee before reconciliation found it:
            # Chipin never knew of it, and nothing is owed to anyone.
            if not (g.by_payee and g.state in RETURNED):
                problems.append(f"{w}: Chipin never recorded it: money lost")
            continue
        if SAME.get(p.status) != g.state:
            problems.append(f"{w}: Chipin says {p.status}")
        if not p.counted and g.holds_money:
            problems.append(f"{w}: could not count, and was not given back")
        kinds = ledger.tally.kinds_of(p.id)
        booked = (
            kinds[EntryKind.PAYMENT_CAPTURED],
            sum(kinds[k] for k in REFUND_KINDS),
            sum(kinds[k] for k in VOID_KINDS),
        )
        if booked != (g.captures, g.refunds, g.voids):
            problems.append(
                f"{w}: ledger books {booked} (capture, refund, void), gateway did "
                f"{(g.captures, g.refunds, g.voids)}"
            )
    return problems + _order_books(snap, gw, ledger)


def _order_books(snap: Snapshot, gw: SimGateway, ledger: LedgerWatch) -> list[str]:
    """Per order: money the gateway holds or took = Chipin's net = the ledger's net."""
    at_gateway = by_order(gw.payments.values(), "order_id")
    problems = []
    for order in snap.orders.values():
        mine = at_gateway.get(order.id, [])
        held = sum(g.amount_minor for g in mine if g.holds_money)
        net = order.paid_minor - order.refunded_minor
        booked = ledger.tally.net_by_order.get(order.id, 0)
        if not held == net == booked:
            problems.append(
                f"order {order.id} ({order.mode}, {order.state}): gateway holds {held}, "
                f"Chipin nets {net}, ledger nets {booked}"
            )
        if order.mode == Mode.ALL and order.state == OrderState.COMPLETED:
            uncaptured = [g.ref for g in mine if g.state == Held.AUTHORISED]
            if uncaptured:
                problems.append(f"order {order.id}: completed, {uncaptured} never captured")
    return problems
