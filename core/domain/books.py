"""Checks on the books: orders, parts, payments and the ledger against one another.

Each check is a validator in the manner of beancount's: it returns the problems it finds, as
sentences naming the order or payment, and an empty list when all is well. The simulator runs
them after every step; `chipin ledger verify` runs them over a real database.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, TypeVar

from core.domain.ledger.audit import entry_of
from core.domain.ledger.entries import MONEY_BACK, MONEY_IN, EntryKind, LedgerEntry
from core.domain.model import (
    Mode,
    Order,
    OrderState,
    Payment,
    PaymentStatus,
    SubOrder,
    SubOrderState,
)

_T = TypeVar("_T", SubOrder, Payment)
S = PaymentStatus
LIVE = (S.AUTHORISED, S.CAPTURE_PENDING, S.CAPTURED)  # counted money the payee keeps
GIVING_BACK = (S.REFUND_PENDING, S.REFUND_OWED, S.VOID_PENDING)
HELD_BY_PAYER = (SubOrderState.RESERVED, SubOrderState.CLAIMED, SubOrderState.PAID)
COUNTED_SUBS = (SubOrderState.PAID, SubOrderState.REFUNDED)
OPEN_SUBS = (SubOrderState.AVAILABLE, SubOrderState.RESERVED, SubOrderState.CLAIMED)
REFUND_KINDS = (EntryKind.PAYMENT_REFUNDED, EntryKind.LATE_REFUNDED)
VOID_KINDS = (EntryKind.PAYMENT_VOIDED, EntryKind.LATE_VOIDED)
ORDER_ENDS = (EntryKind.ORDER_COMPLETED, EntryKind.ORDER_EXPIRED, EntryKind.ORDER_CANCELLED)


@dataclass(slots=True)
class LedgerTally:
    """The ledger's entries counted per payment and per order, and each order's money in
    less money back."""

    by_payment: dict[str, Counter[EntryKind]] = field(default_factory=dict)
    by_order: dict[str, Counter[EntryKind]] = field(default_factory=dict)
    net_by_order: dict[str, int] = field(default_factory=dict)

    def add(self, entry: LedgerEntry) -> None:
        if entry.payment_id is not None:
            self.by_payment.setdefault(entry.payment_id, Counter())[entry.kind] += 1
        if entry.order_id is not None:
            order = entry.order_id
            self.by_order.setdefault(order, Counter())[entry.kind] += 1
            sign = 1 if entry.kind in MONEY_IN else -1 if entry.kind in MONEY_BACK else 0
            self.net_by_order[order] = self.net_by_order.get(order, 0) + sign * entry.amount_minor

    def kinds_of(self, payment_id: str) -> Counter[EntryKind]:
        return self.by_payment.get(payment_id, Counter())


def tally(entries: Iterable[LedgerEntry]) -> LedgerTally:
    counted = LedgerTally()
    for entry in entries:
        counted.add(entry)
    return counted


def order_problems(order: Order, subs: list[SubOrder], pays: list[Payment]) -> list[str]:
    """Never more than N paid; the order's counters are its parts'; a closed order holds no
    open part; each paid part has exactly one live payment; the mode's rules on live money."""
    o = f"order {order.id} ({order.mode}, {order.state}, n={order.n})"
    counted = [s for s in subs if s.state in COUNTED_SUBS]
    refunded = [s for s in subs if s.state == SubOrderState.REFUNDED]
    problems = []
    if order.paid_count > order.n or len(counted) > order.n:
        problems.append(f"{o}: {order.paid_count} paid ({len(counted)} parts), more than N")
    if order.paid_count != len(counted):
        problems.append(f"{o}: paid_count {order.paid_count}, but {len(counted)} parts paid")
    if order.paid_minor != sum(s.amount_minor for s in counted):
        problems.append(f"{o}: paid_minor {order.paid_minor} is not the sum of its paid parts")
    if order.refunded_minor != sum(s.amount_minor for s in refunded):
        problems.append(f"{o}: refunded_minor {order.refunded_minor} is not its refunded parts")
    if order.state == OrderState.OPEN and order.paid_count >= order.n:
        problems.append(f"{o}: still open with every part paid")
    if order.state != OrderState.OPEN:
        still = [s.id for s in subs if s.state in OPEN_SUBS]
        if still:
            problems.append(f"{o}: closed, but parts {still} are still available or held")
    live = [p for p in pays if p.counted and p.status in LIVE]
    for s in subs:
        holding = [p.id for p in live if p.sub_order_id == s.id]
        if len(holding) != (1 if s.state == SubOrderState.PAID else 0):
            problems.append(f"{o}: part {s.id} is {s.state} with live payments {holding}")
    return problems + _mode_problems(o, order, live)


def _mode_problems(o: str, order: Order, live: list[Payment]) -> list[str]:
    if order.state == OrderState.CANCELLED and live:
        return [f"{o}: cancelled, but keeps payments {[p.id for p in live]}"]
    if order.mode != Mode.ALL:
        return []
    if order.state == OrderState.EXPIRED and live:
        return [f"{o}: expired short of N, but keeps payments {[p.id for p in live]}"]
    taken = [p.id for p in live if p.status != S.AUTHORISED]
    if order.state == OrderState.OPEN and taken:
        return [f"{o}: mode all, still open, but captures {taken}"]
    return []


def holder_problems(order: Order, subs: list[SubOrder]) -> list[str]:
    """One part per payer: nobody holds or has paid two parts of one order."""
    holders = Counter(s.payer_ref for s in subs if s.state in HELD_BY_PAYER)
    return [f"order {order.id}: payer {who} holds {n} parts" for who, n in holders.items() if n > 1]


def ledger_order_problems(order: Order, pays: list[Payment], ledger: LedgerTally) -> list[str]:
    """The ledger's money in less money back is the order's net, once pending refunds are
    done; an order ends at most once."""
    o = f"order {order.id}"
    pending = sum(p.amount_minor for p in pays if p.counted and p.status in GIVING_BACK)
    net = order.paid_minor - order.refunded_minor
    booked = ledger.net_by_order.get(order.id, 0)
    problems = []
    if booked != net + pending:
        problems.append(
            f"{o}: ledger in-back is {booked}; the order says {net} net with {pending} going back"
        )
    kinds = ledger.by_order.get(order.id, Counter())
    problems += [
        f"{o}: {kinds[kind]} ledger entries {kind}" for kind in ORDER_ENDS if kinds[kind] > 1
    ]
    return problems


def payment_entry_problems(p: Payment, kinds: Counter[EntryKind]) -> list[str]:
    """A payment arrives in the ledger once (counted or late), and goes back as its status
    says: one refund entry if refunded, one void entry if voided, none otherwise."""
    w = f"payment {p.id} ({p.payment_ref}, {p.status}, counted={p.counted})"
    money_in = sum(kinds[k] for k in MONEY_IN)
    problems = []
    if p.counted and p.sub_order_id is None:
        problems.append(f"{w}: counted, for no part")
    if money_in + kinds[EntryKind.PAYMENT_LATE] != 1 or (money_in == 1) != p.counted:
        problems.append(f"{w}: ledger has {dict(kinds)} for its arrival")
    refunds = sum(kinds[k] for k in REFUND_KINDS)
    voids = sum(kinds[k] for k in VOID_KINDS)
    if refunds != (p.status == S.REFUNDED) or voids != (p.status == S.VOIDED):
        problems.append(f"{w}: ledger has {dict(kinds)} for its return")
    return problems


def book_problems(
    orders: Iterable[Order],
    subs: Iterable[SubOrder],
    pays: Sequence[Payment],
    ledger: LedgerTally,
    *,
    ledger_since: datetime | None = None,
) -> list[str]:
    """Every check above over a set of orders with their parts and payments.

    Orders and payments made before `ledger_since` (the first entry's time: a database older
    than its ledger) are checked against themselves only, not against the ledger.
    """
    parts = _by_order(subs)
    paid = _by_order(pays)
    problems: list[str] = []
    for order in orders:
        mine, theirs = parts.get(order.id, []), paid.get(order.id, [])
        problems += order_problems(order, mine, theirs)
        problems += holder_problems(order, mine)
        if ledger_since is None or order.created_at >= ledger_since:
            problems += ledger_order_problems(order, theirs, ledger)
    for p in pays:
        if ledger_since is None or p.created_at >= ledger_since:
            problems += payment_entry_problems(p, ledger.kinds_of(p.id))
    return problems


def tally_rows(rows: Iterable[Mapping[str, Any]]) -> tuple[LedgerTally, datetime | None]:
    """The tally of the ledger's stored rows, and the time of its first entry. A row that does
    not parse is left out: the audit (core.domain.ledger.audit) names it."""
    counted = LedgerTally()
    first: datetime | None = None
    for row in rows:
        try:
            entry = entry_of(row, int(row["idx"]))
        except (KeyError, ValueError, TypeError):
            continue
        counted.add(entry)
        first = entry.at if first is None else min(first, entry.at)
    return counted, first


def _by_order(items: Iterable[_T]) -> dict[str, list[_T]]:
    grouped: dict[str, list[_T]] = {}
    for item in items:
        if item.order_id is not None:
            grouped.setdefault(item.order_id, []).append(item)
    return grouped
