"""Which ledger entries a records query reads (one user's own, filtered), and their sums by
group."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from core.domain.ledger.entries import EntryKind
from core.domain.model import OrderId, PayeeId


@dataclass(frozen=True, slots=True)
class LedgerScope:
    """Which ledger entries a records query reads: one user's own, filtered.

    An entry is in scope when it names the payer (storage finds it by the payer's blind
    index) or belongs to the payee; a scope with neither holds nothing. Times are a
    half-open range [since, until); an empty `kinds` means every kind.
    """

    payer_ref: str | None = None
    payee_id: PayeeId | None = None
    since: datetime | None = None
    until: datetime | None = None
    order_id: OrderId | None = None
    kinds: frozenset[EntryKind] = frozenset()


@dataclass(frozen=True, slots=True)
class LedgerGroup:
    """The sum of a payee's entries of one order, currency, kind and month ('YYYY-MM', UTC),
    and route: `direct` entries are money that went straight to the payee's own account,
    `to_payee_account` ones card money paid into it through the operator's gateway (their
    platform fees summed in `fee_minor`)."""

    order_id: str | None
    currency: str
    kind: EntryKind
    month: str
    amount_minor: int
    entries: int
    first_at: datetime
    direct: bool = False
    to_payee_account: bool = False
    fee_minor: int = 0
