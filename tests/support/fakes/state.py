"""The in-memory database the fake repositories share: plain dicts, as storage.tables has
tables."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from core.domain.codes import Collection, StaticCode
from core.domain.events import DomainEvent
from core.domain.holds import HoldTakes
from core.domain.ledger.entries import (
    LedgerEntry,
    PayerSecret,
    SignedHead,
)
from core.domain.matches import ImportedLine
from core.domain.methods import PayeeMethod, Transfer
from core.domain.model import (
    CheckoutRef,
    Order,
    OrderId,
    OrderPost,
    Payee,
    PayeeId,
    PayerAuth,
    Payment,
    SubOrder,
)
from core.domain.outbox import QueuedLetter
from core.domain.passkeys import Challenge, Passkey, VerifyLink
from core.domain.payouts import PayoutAccount
from core.domain.tries import GuessWindow


@dataclass
class PasskeyState:
    keys: dict[str, Passkey] = field(default_factory=dict)
    links: dict[str, VerifyLink] = field(default_factory=dict)
    challenges: dict[str, Challenge] = field(default_factory=dict)


@dataclass
class CodesState:
    codes: dict[str, StaticCode] = field(default_factory=dict)
    collections: dict[str, Collection] = field(default_factory=dict)
    links: dict[str, tuple[str, str]] = field(default_factory=dict)  # order -> (code, binding)
    posts: dict[tuple[str, int], tuple[int, str | None, datetime]] = field(default_factory=dict)


@dataclass
class HoldsState:
    sources: dict[str, str] = field(default_factory=dict)  # sub-order id -> who took it
    takes: dict[tuple[str, str], HoldTakes] = field(default_factory=dict)  # (order, source)


@dataclass
class TriesState:
    order_of: dict[str, OrderId] = field(default_factory=dict)  # subject -> its order
    last_try: dict[str, datetime] = field(default_factory=dict)
    pending: dict[str, tuple[str, datetime]] = field(default_factory=dict)  # id -> subject, at
    guesses: dict[str, GuessWindow] = field(default_factory=dict)


@dataclass
class OutboxState:
    events: dict[int, tuple[DomainEvent, datetime, datetime | None]] = field(default_factory=dict)
    letters: dict[int, QueuedLetter] = field(default_factory=dict)
    next_id: int = 1


@dataclass
class MethodsState:
    methods: dict[str, PayeeMethod] = field(default_factory=dict)
    transfers: dict[str, Transfer] = field(default_factory=dict)  # by reference
    lines: dict[str, ImportedLine] = field(default_factory=dict)  # statement lines by hash


@dataclass
class MemoryState:
    """The in-memory database: a dict (or list) per table, shared by every transaction."""

    payees: dict[str, Payee] = field(default_factory=dict)
    keys: dict[str, PayeeId] = field(default_factory=dict)
    orders: dict[str, Order] = field(default_factory=dict)
    subs: dict[str, SubOrder] = field(default_factory=dict)
    events: set[tuple[str, str]] = field(default_factory=set)
    payments: dict[str, Payment] = field(default_factory=dict)
    payers: dict[str, PayerAuth] = field(default_factory=dict)
    posts: list[OrderPost] = field(default_factory=list)
    ledger: list[tuple[LedgerEntry, PayerSecret | None]] = field(default_factory=list)
    heads: list[SignedHead] = field(default_factory=list)
    loose: dict[tuple[str, str], tuple[CheckoutRef, datetime]] = field(default_factory=dict)
    early_voids: set[tuple[str, str]] = field(default_factory=set)
    passkeys: PasskeyState = field(default_factory=PasskeyState)

    codes: CodesState = field(default_factory=CodesState)
    holds: HoldsState = field(default_factory=HoldsState)
    tries: TriesState = field(default_factory=TriesState)
    outbox: OutboxState = field(default_factory=OutboxState)
    methods: MethodsState = field(default_factory=MethodsState)
    payouts: dict[tuple[str, str], PayoutAccount] = field(default_factory=dict)


class MemoryRepo:
    """What the fake repositories of one transaction share: the state (as storage.rows.TxBase
    shares the connection)."""

    def __init__(self, s: MemoryState) -> None:
        self.s = s
