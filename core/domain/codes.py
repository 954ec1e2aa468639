"""Static codes (claim 6): QR codes printed first, bound to a payee's collection later."""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from enum import StrEnum
from typing import NewType

from core.domain.errors import InvalidInput
from core.domain.model import PayeeId
from core.domain.money import Currency, Money, format_money, parse_amount
from core.domain.params import check_title
from core.domain.text import check_text

CodeId = NewType("CodeId", str)
CollectionId = NewType("CollectionId", str)

# Crockford's base32: no I, L, O, U; what people misread is mapped back when typed.
_ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"
_MISREAD = str.maketrans({"O": "0", "I": "1", "L": "1"})
SHORT_LEN = 8  # 40 bits: typed by hand; the QR code's token carries the 144 random bits
MAX_PRINT = 500
MAX_NAME = 64
MAX_DEADLINE = timedelta(days=366)


class CodeKind(StrEnum):
    TIP = "tip"
    DONATION = "donation"
    FIXED = "fixed"  # a set price, e.g. a membership fee
    FUND = "fund"  # a fund-raiser with a goal and an optional deadline


class CodeState(StrEnum):
    UNBOUND = "unbound"
    ACTIVE = "active"
    DISABLED = "disabled"


@dataclass(frozen=True, slots=True)
class Collection:
    """A payee's pseudonymous collection ID: what links, webhooks and records carry."""

    id: CollectionId
    payee_id: PayeeId
    display_name: str  # how payers see who collects
    modes: tuple[str, ...]  # the payment modes (gateways) payers may pick from
    created_at: datetime


@dataclass(frozen=True, slots=True)
class CodeSpec:
    """What a bound code collects; built only by `build_spec`, so always valid."""

    kind: CodeKind
    title: str
    currency: Currency
    min_minor: int
    max_minor: int
    goal_minor: int | None = None
    deadline: datetime | None = None

    @property
    def fixed_minor(self) -> int | None:
        return self.min_minor if self.kind == CodeKind.FIXED else None


@dataclass(frozen=True, slots=True)
class StaticCode:
    id: CodeId
    token: str  # >= 128 random bits: the deep link in the QR code
    short: str  # the human code printed under it, e.g. 'K7PQ3MXD'
    state: CodeState
    created_at: datetime
    collection_id: CollectionId | None = None
    binding_id: str | None = None  # one per binding: totals count this binding's payments
    spec: CodeSpec | None = None
    bound_at: datetime | None = None
    goal_reached_at: datetime | None = None
    display_name: str | None = None  # the collector's name chosen at this binding

    @property
    def label(self) -> str:
        return f"{self.short[:4]}-{self.short[4:]}"


@dataclass(frozen=True, slots=True)
class CodePayment:
    order_id: str
    amount_minor: int
    paid_at: datetime
    payer_name: str | None
    gateway: str | None


@dataclass(frozen=True, slots=True)
class CodeTotals:
    """What a bound code collected in its current binding."""

    code: StaticCode
    today_minor: int
    month_minor: int
    raised_minor: int  # everything kept so far (refunds taken off)
    payments: int
    last: tuple[CodePayment, ...]


def short_code(token: str) -> str:
    """The printed human code: 40 bits of the token's hash in Crockford base32."""
    digest = int.from_bytes(hashlib.sha256(token.encode()).digest()[:5], "big")
    return "".join(_ALPHABET[(digest >> (5 * i)) & 31] for i in reversed(range(SHORT_LEN)))


_TOKEN = re.compile(r"[A-Za-z0-9_-]{13,128}")  # core.ports.store.IdSource.new_token, as stored


def token_shaped(ref: str) -> bool:
    """Whether `ref` could be a code's QR token at all (longer than any short code)."""
    return _TOKEN.fullmatch(ref) is not None


def normalise_short(text: str) -> str:
    """'k7pq-3mxd', 'K7PQ 3MXD' or 'K7PQ3MXD' into 'K7PQ3MXD'; InvalidInput if not a code."""
    raw = "".join(text.split()).replace("-", "").upper().translate(_MISREAD)
    if len(raw) != SHORT_LEN or any(ch not in _ALPHABET for ch in raw):
        raise InvalidInput(
            "code",
            "{value} is not a code; it is 8 letters and digits, like {example}",
            value=repr(text[:20]),
            example="K7PQ-3MXD",
        )
    return raw


def check_count(count: int) -> int:
    if not 1 <= count <= MAX_PRINT:
        raise InvalidInput("count", "print 1 to {max} codes at a time", max=MAX_PRINT)
    return count


def check_name(name: str) -> str:
    clean = check_title(check_text(name, "name"))
    if not 1 <= len(clean) <= MAX_NAME:
        raise InvalidInput(
            "name", "the name must be 1 to {max_chars} characters", max_chars=MAX_NAME
        )
    return clean


@dataclass(frozen=True, slots=True)
class RawSpec:
    """What the payee typed at bind time, before validation."""

    kind: str
    currency: Currency
    title: str = ""
    amount: str | None = None  # the price of a `fixed` code
    goal: str | None = None  # the goal of a `fund`
    minimum: str | None = None
    maximum: str | None = None
    deadline: datetime | None = None


def build_spec(raw: RawSpec, max_minor: int, now: datetime) -> CodeSpec:
    """Validate what a code collects; InvalidInput names the field."""
    try:
        kind = CodeKind(raw.kind)
    except ValueError:
        raise InvalidInput("kind", "kind must be tip, donation, fixed or fund") from None
    cur = raw.currency
    title = check_title(raw.title)
    if kind == CodeKind.FIXED:
        if raw.amount is None:
            raise InvalidInput("amount", "a fixed code needs its price")
        price = parse_amount(raw.amount, cur, max_minor, field="amount").amount_minor
        return CodeSpec(kind, title, cur, price, price)
    low = parse_amount(raw.minimum, cur, max_minor, "min").amount_minor if raw.minimum else cur.unit
    high = (
        parse_amount(raw.maximum, cur, max_minor, "max").amount_minor if raw.maximum else max_minor
    )
    if low > high:
        raise InvalidInput("min", "the minimum is above the maximum")
    if kind != CodeKind.FUND:
        return CodeSpec(kind, title, cur, low, high)
    if raw.goal is None:
        raise InvalidInput("goal", "a fund needs its goal")
    goal = parse_amount(raw.goal, cur, 1000 * max_minor, field="goal").amount_minor
    return CodeSpec(kind, title, cur, low, high, goal, _deadline(raw.deadline, now))


def _deadline(deadline: datetime | None, now: datetime) -> datetime | None:
    """A fund's deadline in UTC: in the future, and within a year."""
    if deadline is None:
        return None
    try:
        utc = deadline.astimezone(UTC)
    except (OverflowError, ValueError):
        utc = None
    if utc is None or utc <= now:
        raise InvalidInput("deadline", "the deadline must be in the future")
    if utc > now + MAX_DEADLINE:
        raise InvalidInput(
            "deadline", "the deadline must be within {days} days", days=MAX_DEADLINE.days
        )
    return utc


def check_payment(spec: CodeSpec, amount: Money) -> int:
    """The amount a payer chose, within the code's limits and in its currency."""
    if amount.currency != spec.currency:
        raise InvalidInput("amount", "this code takes {currency}", currency=spec.currency.code)
    if spec.fixed_minor is not None and amount.amount_minor != spec.fixed_minor:
        price = format_money(Money(spec.fixed_minor, spec.currency))
        raise InvalidInput("amount", "the price is {price}", price=price)
    if amount.amount_minor < spec.min_minor:
        low = format_money(Money(spec.min_minor, spec.currency))
        raise InvalidInput("amount", "the amount is below the minimum of {limit}", limit=low)
    if amount.amount_minor > spec.max_minor:
        high = format_money(Money(spec.max_minor, spec.currency))
        raise InvalidInput("amount", "the amount is above the limit of {limit}", limit=high)
    return amount.amount_minor
