"""A payee's figures from ledger entries: signed amounts, totals by currency, month and order.

Pure functions over core.domain.ledger.entries values; core.usecases.records reads the entries and
calls them.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta

from core.domain.errors import InvalidInput
from core.domain.ledger.entries import (
    MONEY_BACK,
    MONEY_IN,
    PAYEE_ACCOUNT,
    RECEIPT_KINDS,
    EntryKind,
    LedgerEntry,
    receipt_id,
)
from core.domain.ledger.merkle import leaf_hash
from core.domain.ledger.scope import LedgerGroup
from core.domain.model import Order
from core.domain.money import Money, currency, to_decimal

ORDER_ENDS = (EntryKind.ORDER_COMPLETED, EntryKind.ORDER_EXPIRED, EntryKind.ORDER_CANCELLED)
OPERATOR_ACCOUNT = "operator"


@dataclass(frozen=True, slots=True)
class Totals:
    """Money in and money back in one currency; net is what the payee keeps, of which
    `direct_minor` went straight to their own account (a transfer to their bank or wallet)
    and `operator_minor` through the operator's gateways. Of the latter,
    `to_payee_account_minor` is card money the gateway paid into the payee's own account
    (a destination charge), and `platform_fees_minor` the operator's fees out of it; both
    net of what went back."""

    currency: str
    collected_minor: int = 0
    refunded_minor: int = 0
    direct_minor: int = 0
    to_payee_account_minor: int = 0
    platform_fees_minor: int = 0

    @property
    def net_minor(self) -> int:
        return self.collected_minor - self.refunded_minor

    @property
    def operator_minor(self) -> int:
        return self.net_minor - self.direct_minor

    def add(self, kind: EntryKind, amount_minor: int, *, direct: bool = False) -> Totals:
        if kind in MONEY_IN:
            moved = replace(self, collected_minor=self.collected_minor + amount_minor)
        elif kind in MONEY_BACK:
            moved = replace(self, refunded_minor=self.refunded_minor + amount_minor)
            amount_minor = -amount_minor
        else:
            return self
        if direct:
            moved = replace(moved, direct_minor=moved.direct_minor + amount_minor)
        return moved

    def add_group(self, g: LedgerGroup) -> Totals:
        """These totals with a group of entries added."""
        moved = self.add(g.kind, g.amount_minor, direct=g.direct)
        if moved is self or not g.to_payee_account:
            return moved
        sign = 1 if g.kind in MONEY_IN else -1
        return replace(
            moved,
            to_payee_account_minor=moved.to_payee_account_minor + sign * g.amount_minor,
            platform_fees_minor=moved.platform_fees_minor + sign * g.fee_minor,
        )


@dataclass(frozen=True, slots=True)
class MonthTotals:
    month: str  # 'YYYY-MM', UTC
    totals: Totals


@dataclass(frozen=True, slots=True)
class OrderTotals:
    order_id: str
    title: str
    created_at: datetime | None
    totals: Totals
    parts_paid: int  # money-in entries: parts paid (or held, in mode all)


@dataclass(frozen=True, slots=True)
class Stats:
    since: datetime | None
    until: datetime | None
    totals: tuple[Totals, ...]  # per currency
    by_month: tuple[MonthTotals, ...]  # oldest month first
    by_order: tuple[OrderTotals, ...]  # newest order first
    payers: int  # distinct payers who paid a part
    completed: int
    expired: int
    cancelled: int
    avg_complete_s: int | None  # order.completed time minus the order's creation, mean


def signed_minor(entry: LedgerEntry) -> int:
    """+amount for money in, -amount for money back, 0 for everything else."""
    if entry.kind in MONEY_IN:
        return entry.amount_minor
    if entry.kind in MONEY_BACK:
        return -entry.amount_minor
    return 0


def account_of(entry: LedgerEntry) -> str | None:
    """Whose account a payment's money went into: 'payee' (their own: a card payment into
    it, or a transfer straight to them) or 'operator' (the operator's gateway account); None
    for an order's entries."""
    if entry.payment_id is None:
        return None
    return PAYEE_ACCOUNT if entry.to_payee_account or entry.direct else OPERATOR_ACCOUNT


def amount_text(amount_minor: int, code: str) -> str:
    """'33.34' for 3334 USD; a currency Chipin does not know shows its minor units as they are."""
    try:
        cur = currency(code)
    except InvalidInput:
        return str(amount_minor)
    return format(to_decimal(Money(amount_minor, cur)), "f")


def receipt_id_of(entry: LedgerEntry) -> str | None:
    """The receipt id of a paid part's entry (as core.usecases.ledger.Receipt names it), else
    None."""
    if entry.kind not in RECEIPT_KINDS:
        return None
    return receipt_id(entry, leaf_hash(entry.leaf()))


def month_range(text: str) -> tuple[datetime, datetime]:
    """'2026-11' -> [2026-11-01, 2026-12-01) in UTC."""
    raw = text.strip()
    parts = raw.split("-")
    ok = len(parts) == 2 and len(parts[0]) == 4 and len(parts[1]) == 2
    ok = ok and all(p.isascii() and p.isdigit() for p in parts)
    if not ok or not 1 <= int(parts[1]) <= 12 or int(parts[0]) < 1 or int(parts[0]) > 9998:
        raise InvalidInput(
            "month", "{value} is not a month; write it like 2026-11", value=repr(raw[:20])
        )
    year, month = int(parts[0]), int(parts[1])
    start = datetime(year, month, 1, tzinfo=UTC)
    end = datetime(year + month // 12, month % 12 + 1, 1, tzinfo=UTC)
    return start, end


class _Tally:
    """Sums groups of entries into a payee's figures, one group at a time."""

    def __init__(self, orders: Mapping[str, Order]) -> None:
        self.orders = orders
        self.totals: dict[str, Totals] = {}
        self.months: dict[tuple[str, str], Totals] = {}
        self.per_order: dict[tuple[str, str], tuple[Totals, int]] = {}
        self.ends = dict.fromkeys(ORDER_ENDS, 0)
        self.durations_us: list[int] = []

    def add(self, g: LedgerGroup) -> None:
        money = g.kind in MONEY_IN or g.kind in MONEY_BACK
        if money:
            cur = g.currency
            self.totals[cur] = self.totals.get(cur, Totals(cur)).add_group(g)
            key = (g.month, cur)
            self.months[key] = self.months.get(key, Totals(cur)).add_group(g)
        if g.order_id is not None and (money or g.kind in ORDER_ENDS):
            okey = (g.order_id, g.currency)
            sums, parts = self.per_order.get(okey, (Totals(g.currency), 0))
            parts += g.entries if g.kind in MONEY_IN else 0
            self.per_order[okey] = (sums.add_group(g), parts)
        if g.kind in ORDER_ENDS:
            self.ends[g.kind] += g.entries
        order = self.orders.get(g.order_id) if g.order_id else None
        if g.kind == EntryKind.ORDER_COMPLETED and order is not None:
            self.durations_us.append((g.first_at - order.created_at) // timedelta(microseconds=1))


def summarise(
    groups: Iterable[LedgerGroup],
    orders: Mapping[str, Order],
    payers: int,
    since: datetime | None = None,
    until: datetime | None = None,
) -> Stats:
    """A payee's figures from their entries summed by order, currency, kind and month."""
    tally = _Tally(orders)
    for g in groups:
        tally.add(g)
    months = tally.months
    return Stats(
        since=since,
        until=until,
        totals=tuple(tally.totals[c] for c in sorted(tally.totals)),
        by_month=tuple(MonthTotals(m, months[(m, c)]) for m, c in sorted(months)),
        by_order=_by_order(tally.per_order, orders),
        payers=payers,
        completed=tally.ends[EntryKind.ORDER_COMPLETED],
        expired=tally.ends[EntryKind.ORDER_EXPIRED],
        cancelled=tally.ends[EntryKind.ORDER_CANCELLED],
        avg_complete_s=_mean_s(tally.durations_us),
    )


def _by_order(
    per_order: Mapping[tuple[str, str], tuple[Totals, int]], orders: Mapping[str, Order]
) -> tuple[OrderTotals, ...]:
    found = []
    for (order_id, _cur), (sums, parts) in per_order.items():
        order = orders.get(order_id)
        title = order.title if order is not None else ""
        created = order.created_at if order is not None else None
        found.append(OrderTotals(order_id, title, created, sums, parts))
    oldest = datetime.min.replace(tzinfo=UTC)
    found.sort(key=lambda o: (o.created_at or oldest, o.order_id, o.totals.currency), reverse=True)
    return tuple(found)


def _mean_s(durations_us: Sequence[int]) -> int | None:
    """The mean in whole seconds, rounded half up; None without any duration."""
    if not durations_us:
        return None
    n = len(durations_us)
    return (sum(durations_us) + n * 500_000) // (n * 1_000_000)
