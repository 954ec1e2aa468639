"""The invariants checked after every step: Chipin's records against themselves, the ledger
and the simulated gateway's books. Each check returns problems (empty when all is well).

The checks on Chipin's own books are core.domain.books (`chipin ledger verify` runs them on a
real database too); what only the simulation can see, the gateway's side of each payment and
who was given which hold, is checked here.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from typing import Any, TypeVar

from core.domain.books import (
    COUNTED_SUBS,
    LIVE,
    REFUND_KINDS,
    VOID_KINDS,
    holder_problems,
    ledger_order_problems,
    order_problems,
    payment_entry_problems,
)
from core.domain.ledger.entries import MONEY_BACK, EntryKind
from core.domain.model import (
    Mode,
    Order,
    OrderState,
    Payment,
    PaymentStatus,
    SubOrder,
    SubOrderState,
)
from tests.sim.gateway import CaptureProbe, GwPayment, Held, SimGateway
from tests.sim.ledger_check import LedgerWatch
from tests.sim.stores import SimDb, Snapshot
from tests.sim.world import People

T = TypeVar("T")
S = PaymentStatus

# Where the gateway may say the money is while Chipin's payment has a status; the second
# set only when the payee gave it back at the gateway (Chipin hears of it by webhook).
GATEWAY_MAY_SAY: dict[PaymentStatus, tuple[set[Held], set[Held]]] = {
    S.AUTHORISED: ({Held.AUTHORISED}, {Held.VOIDED}),
    S.CAPTURE_PENDING: ({Held.AUTHORISED, Held.CAPTURED}, {Held.VOIDED, Held.REFUNDED}),
    S.CAPTURED: ({Held.CAPTURED}, {Held.REFUNDED}),
    S.REFUND_PENDING: ({Held.CAPTURED, Held.REFUNDED}, set()),
    S.REFUNDED: ({Held.REFUNDED}, set()),
    S.VOID_PENDING: ({Held.AUTHORISED, Held.VOIDED, Held.CAPTURED}, {Held.REFUNDED}),
    S.VOIDED: ({Held.VOIDED}, set()),
}


def by_order(items: Iterable[T], key: str) -> dict[str, list[T]]:
    grouped: dict[str, list[T]] = {}
    for item in items:
        owner = getattr(item, key)
        if owner is not None:
            grouped.setdefault(owner, []).append(item)
    return grouped


def step_problems(snap: Snapshot, gw: SimGateway, ledger: LedgerWatch, people: People) -> list[str]:
    subs = by_order(snap.subs.values(), "order_id")
    pays = by_order(snap.payments.values(), "order_id")
    problems: list[str] = []
    for order in snap.orders.values():
        mine, paid = subs.get(order.id, []), pays.get(order.id, [])
        problems += order_problems(order, mine, paid)
        problems += ledger_order_problems(order, paid, ledger.tally)
        problems += holder_problems(order, mine)
        problems += reservation_problems(order, mine, paid, gw, people)
    for p in snap.payments.values():
        problems += payment_problems(p, gw, ledger)
    return problems + gw.problems


def reservation_problems(
    order: Order, subs: list[SubOrder], pays: list[Payment], gw: SimGateway, people: People
) -> list[str]:
    """A part is held by whom it was given to, and a paid part belongs to whoever paid it."""
    o = f"order {order.id}"
    problems = []
    for s in subs:
        if s.state == SubOrderState.RESERVED:
            given = people.reservations.get((s.id, s.hold_seq))
            if given is not None and given != s.payer_ref:
                problems.append(f"{o}: part {s.id} reserved for {given}, held by {s.payer_ref}")
        if s.state != SubOrderState.PAID:
            continue
        for p in pays:
            if p.counted and p.status in LIVE and p.sub_order_id == s.id:
                payer = gw.payments[p.payment_ref].payer
                if payer != s.payer_ref:
                    problems.append(f"{o}: part {s.id} paid by {payer}, counted for {s.payer_ref}")
    return problems


def payment_problems(p: Payment, gw: SimGateway, ledger: LedgerWatch) -> list[str]:
    """Chipin's payment against the gateway's books and the ledger's entries for it."""
    w = f"payment {p.id} ({p.payment_ref}, {p.status}, counted={p.counted})"
    g = gw.payments.get(p.payment_ref)
    if g is None:
        return [f"{w}: the gateway never took this money"]
    problems = []
    if (g.amount_minor, g.currency, g.checkout_ref) != (p.amount_minor, p.currency, p.checkout_ref):
        problems.append(f"{w}: amount or checkout differs from the gateway's")
    always, if_payee = GATEWAY_MAY_SAY.get(p.status, (set(), set()))
    if g.state not in always and not (g.by_payee and g.state in if_payee):
        problems.append(f"{w}: the gateway says {g.state} (payee acted: {g.by_payee})")
    problems += [
        f"{w}: Chipin asked to {call} it under {len(keys)} keys {keys}"
        for call, keys in g.keys.items()
        if len(keys) > 1
    ]
    return problems + _entry_problems(w, p, g, ledger.tally.kinds_of(p.id))


def _entry_problems(w: str, p: Payment, g: GwPayment, kinds: Counter[EntryKind]) -> list[str]:
    """Chipin's own books (core.domain.books), and no more entries than the gateway did."""
    refunds = sum(kinds[k] for k in REFUND_KINDS)
    voids = sum(kinds[k] for k in VOID_KINDS)
    problems = payment_entry_problems(p, kinds)
    if kinds[EntryKind.PAYMENT_CAPTURED] > g.captures or refunds > g.refunds or voids > g.voids:
        problems.append(f"{w}: ledger books {dict(kinds)}, more than the gateway did")
    return problems


def capture_probe(db: SimDb, gw: SimGateway) -> CaptureProbe:
    """At each capture Chipin asks for: mode all, the order complete, N authorisations alive."""

    async def probe(g: GwPayment) -> None:
        snap = await db.snapshot()
        order = snap.orders.get(g.order_id)
        mine = snap.payments.get(g.ref)
        where = f"capture of {g.ref} (order {g.order_id})"
        if order is None or mine is None or not mine.counted:
            gw.problems.append(f"{where}: not a counted payment of a known order")
            return
        done = order.state in (OrderState.COMPLETED, OrderState.CANCELLED)
        if order.mode != Mode.ALL or order.paid_count != order.n or not done:
            gw.problems.append(
                f"{where}: mode {order.mode}, {order.state}, {order.paid_count}/{order.n} paid"
            )
        if mine.status != S.CAPTURE_PENDING:
            # A stale capture racing a cancel that made it void_pending (concurrent steps):
            # by design its money is refunded when the capture is reported; quiescence checks.
            return
        known = _known_returned(await db.ledger_rows(0), order.id)
        parts = [
            s for s in snap.subs.values() if s.order_id == order.id and s.state in COUNTED_SUBS
        ]
        alive = [s for s in parts if _part_alive(s, snap, gw, known)]
        if len(alive) < order.n:
            gw.problems.append(f"{where}: only {len(alive)} of {order.n} authorisations alive")

    return probe


def _known_returned(rows: list[dict[str, Any]], order_id: str) -> set[str]:
    """The payments the ledger booked as given back before the order completed."""
    kinds = [(int(r["idx"]), r["kind"], r["payment_id"]) for r in rows if r["order_id"] == order_id]
    ends = [i for i, kind, _ in kinds if kind == EntryKind.ORDER_COMPLETED]
    if not ends:
        return set()
    back = {k.value for k in MONEY_BACK}
    return {pid for i, kind, pid in kinds if kind in back and i < ends[0] and pid}


def _part_alive(sub: SubOrder, snap: Snapshot, gw: SimGateway, known: set[str]) -> bool:
    """A paid part's money is at the gateway, or the payee gave it back there and Chipin did
    not know when the order completed (a webhook on its way, or one that overtook)."""
    for p in snap.payments.values():
        if p.counted and p.sub_order_id == sub.id:
            g = gw.payments[p.payment_ref]
            if g.holds_money or (g.by_payee and p.id not in known):
                return True
    return False
