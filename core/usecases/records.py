"""Records for people, read from the ledger: a user's own entries, a payee's figures, exports.

A user sees the entries that name them as payer (found by the payer's blind index; the
payer data opened is then theirs) and the entries of the orders they collect as payee.
Paging is by offset (newest first, `limit` 1 to 100): the ledger only grows at its end, so
a page never shifts under a reader except by entries newer than the first page.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from enum import StrEnum

from core.domain.errors import InvalidInput, invariant
from core.domain.ledger.entries import EntryKind, LedgerEntry, PayerSecret
from core.domain.ledger.exports import ExportRow, export_row
from core.domain.ledger.figures import Stats, receipt_id_of, signed_minor, summarise
from core.domain.ledger.scope import LedgerScope
from core.domain.model import Order, OrderId, PayeeId
from core.domain.payers import TELEGRAM
from core.domain.text import check_text
from core.ports.store import Tx
from core.usecases.deps import UseCases

MAX_LIMIT = 100
MAX_OFFSET = 1_000_000
ORDER_ID_MAX = 64
# a payee named like a payer ref is that person: they see both roles
PAYEE_NAME_PREFIX = TELEGRAM


class Role(StrEnum):
    PAYER = "payer"
    PAYEE = "payee"


@dataclass(frozen=True, slots=True)
class Viewer:
    """Who asks for records: a payer, a payee, or one person who is both."""

    payer_ref: str | None = None
    payee_id: PayeeId | None = None


@dataclass(frozen=True, slots=True)
class RecordQuery:
    """Filters as the user gave them; `Records.records` validates them (InvalidInput)."""

    since: datetime | None = None
    until: datetime | None = None
    order_id: str | None = None
    kinds: tuple[str, ...] = ()  # EntryKind values; empty: every kind
    limit: int = 20
    offset: int = 0


@dataclass(frozen=True, slots=True)
class Record:
    """One ledger entry as its reader sees it."""

    entry: LedgerEntry
    roles: tuple[Role, ...]
    payer_name: str | None  # the reader's own name as payer, or their payer's as payee
    order_title: str | None
    receipt_id: str | None  # for a paid part: what its receipt is called
    # a payer's card payment into the payee's own account: how the payee is shown to payers
    payee_name: str | None = None

    @property
    def signed_minor(self) -> int:
        return signed_minor(self.entry)


@dataclass(frozen=True, slots=True)
class RecordPage:
    items: tuple[Record, ...]
    total: int
    limit: int
    offset: int

    @property
    def has_more(self) -> bool:
        return self.offset + len(self.items) < self.total


def _utc(value: datetime | None, field: str) -> datetime | None:
    if value is None:
        return None
    if value.tzinfo is None or value.utcoffset() is None:
        raise InvalidInput(
            field, "a time needs its time zone, like {example}", example="2026-11-01T00:00:00Z"
        )
    try:
        return value.astimezone(UTC)
    except OverflowError as exc:
        raise InvalidInput(field, "the time is out of range") from exc


def _period(
    since: datetime | None, until: datetime | None
) -> tuple[datetime | None, datetime | None]:
    start, end = _utc(since, "since"), _utc(until, "until")
    if start is not None and end is not None and end <= start:
        raise InvalidInput("until", "the end of the period must come after its start")
    return start, end


def _kinds(kinds: Sequence[str]) -> frozenset[EntryKind]:
    known = {k.value: k for k in EntryKind}
    found: set[EntryKind] = set()
    for kind in kinds:
        if kind not in known:
            raise InvalidInput(
                "kind",
                "{kind} is not a kind of record; use one of {known}",
                kind=repr(kind[:40]),
                known=", ".join(known),
            )
        found.add(known[kind])
    return frozenset(found)


def _order_id(order_id: str | None) -> OrderId | None:
    if order_id is None:
        return None
    if not 1 <= len(check_text(order_id, "order_id")) <= ORDER_ID_MAX:
        raise InvalidInput("order_id", "an order id has 1 to 64 characters")
    return OrderId(order_id)


def scope_of(user: Viewer, q: RecordQuery) -> LedgerScope:
    """The validated filters of `q` over the user's own entries."""
    if not 1 <= q.limit <= MAX_LIMIT:
        raise InvalidInput("limit", "limit must be between 1 and 100")
    if q.offset < 0:
        raise InvalidInput("offset", "offset must not be negative")
    if q.offset > MAX_OFFSET:
        raise InvalidInput("offset", "offset must be at most {max}", max=MAX_OFFSET)
    since, until = _period(q.since, q.until)
    return LedgerScope(
        payer_ref=user.payer_ref,
        payee_id=user.payee_id,
        since=since,
        until=until,
        order_id=_order_id(q.order_id),
        kinds=_kinds(q.kinds),
    )


def _record(
    user: Viewer,
    entry: LedgerEntry,
    secret: PayerSecret | None,
    titles: Mapping[str, str],
    payees: Mapping[str, str] | None = None,
) -> Record:
    roles: list[Role] = []
    if user.payer_ref is not None and secret is not None and secret.payer_ref == user.payer_ref:
        roles.append(Role.PAYER)
    if user.payee_id is not None and entry.payee_id == user.payee_id:
        roles.append(Role.PAYEE)
    # storage matched a blind index or a payee id: anything else is someone else's entry
    invariant(bool(roles), f"ledger entry {entry.index} is not the reader's own")
    return Record(
        entry=entry,
        roles=tuple(roles),
        payer_name=secret.payer_name if secret is not None else None,
        order_title=titles.get(entry.order_id) if entry.order_id else None,
        receipt_id=receipt_id_of(entry),
        payee_name=(payees or {}).get(entry.order_id or "") if Role.PAYEE not in roles else None,
    )


class Records(UseCases):
    """A user's own records, read from the ledger: pages, stats and exports."""

    async def viewer(
        self, *, payer_ref: str | None = None, payee_id: PayeeId | None = None
    ) -> Viewer:
        """Who a Telegram user (`payer_ref`) or an API payee is, in both roles.

        Nothing is created: a Telegram user who never collected has no payee role.
        """
        async with self._d.store.transaction() as tx:
            if payee_id is not None:
                payee = await tx.payees.get_payee(payee_id)
                if payee is not None and payee.name.startswith(PAYEE_NAME_PREFIX):
                    payer_ref = payer_ref or payee.name
            elif payer_ref is not None and payer_ref.startswith(PAYEE_NAME_PREFIX):
                payee = await tx.payees.get_payee_by_name(payer_ref)
                payee_id = payee.id if payee is not None else None
        return Viewer(payer_ref=payer_ref, payee_id=payee_id)

    async def records(self, user: Viewer, q: RecordQuery) -> RecordPage:
        """The user's own entries as payer and as payee, newest first, one page of them."""
        scope = scope_of(user, q)
        async with self._d.store.transaction() as tx:
            total = await tx.records.count_ledger_records(scope)
            rows = await tx.records.ledger_records(scope, q.limit, q.offset)
            titles = await _titles(tx.records.orders_by_id, (e.order_id for e, _ in rows))
            payees = await _payees(tx, user, (e for e, _ in rows))
        items = tuple(_record(user, e, s, titles, payees) for e, s in rows)
        return RecordPage(items, total, q.limit, q.offset)

    async def stats(
        self, payee_id: PayeeId, since: datetime | None = None, until: datetime | None = None
    ) -> Stats:
        """The payee's totals by currency, month and order, payers, closings, time to complete."""
        start, end = _period(since, until)
        scope = LedgerScope(payee_id=payee_id, since=start, until=end)
        async with self._d.store.transaction() as tx:
            groups = await tx.records.ledger_groups(scope)
            payers = await tx.records.count_ledger_payers(scope)
            ids = sorted({OrderId(g.order_id) for g in groups if g.order_id})
            found = await tx.records.orders_by_id(ids) if ids else []
        orders: dict[str, Order] = {o.id: o for o in found}
        return summarise(groups, orders, payers, start, end)

    async def export_rows(
        self,
        payee_id: PayeeId,
        since: datetime | None = None,
        until: datetime | None = None,
        order_id: str | None = None,
    ) -> list[ExportRow]:
        """Every entry of the payee's orders, oldest first, with their payers' names."""
        start, end = _period(since, until)
        scope = LedgerScope(payee_id=payee_id, since=start, until=end, order_id=_order_id(order_id))
        async with self._d.store.transaction() as tx:
            rows = await tx.records.ledger_records(scope, None, 0, oldest_first=True)
            titles = await _titles(tx.records.orders_by_id, (e.order_id for e, _ in rows))
        return [export_row(e, s, titles.get(e.order_id or "", "")) for e, s in rows]


async def _payees(tx: Tx, user: Viewer, entries: Iterable[LedgerEntry]) -> dict[str, str]:
    """How the payees of the user's card payments into a payee's own account are shown to
    payers (kept with the orders' posts), by order; the user's own orders need none."""
    ids = sorted(
        {
            OrderId(e.order_id)
            for e in entries
            if e.to_payee_account and e.order_id and e.payee_id != user.payee_id
        }
    )
    names: dict[str, str] = {}
    for order_id in ids:
        posts = await tx.posts.get_posts(order_id)
        name = next((p.payee_name for p in posts if p.payee_name), None)
        if name is not None:
            names[order_id] = name
    return names


async def _titles(
    load: Callable[[Sequence[OrderId]], Awaitable[list[Order]]], order_ids: Iterable[str | None]
) -> dict[str, str]:
    """The titles of the orders named, read in one query (tx.records.orders_by_id)."""
    ids = sorted({OrderId(i) for i in order_ids if i})
    return {o.id: o.title for o in await load(ids)} if ids else {}
